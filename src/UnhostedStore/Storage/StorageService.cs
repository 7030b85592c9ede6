using System.Buffers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Blobs;
using UnhostedStore.Hosting;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// The document and folder semantics of draft-26 §4–§6 on top of the metadata database and the
/// blob store. Reads are one indexed query; writes are one transaction that serializes on the
/// user's account row, checks preconditions and clashes, and updates the document, every
/// ancestor's version and the usage counters together.
/// </summary>
public sealed partial class StorageService(
    StorageDbContext db,
    IBlobStore blobs,
    UserWriteQueues writeQueues,
    FolderListingCache listings,
    HotReads reads,
    IOptions<StorageOptions> options,
    Quotas quotas,
    TimeProvider clock,
    ILogger<StorageService> logger)
{
    private const string FolderContext = "http://remotestorage.io/spec/folder-description";

    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false, SkipValidation = true };

    public async Task<StorageOutcome> GetDocumentAsync(
        string owner, StoragePath path, RequestConditions conditions, string? rangeHeader, bool openBody, CancellationToken ct)
    {
        // A writer deletes the previous blob right after its commit, so a reader that saw the
        // old row can find its blob gone: read the row again and serve what is current then.
        string? missingBlob = null;
        while (true)
        {
            var outcome = await ReadDocumentAsync(owner, path, conditions, rangeHeader, ct);
            if (!openBody || outcome is not StorageOutcome.DocumentFound found)
            {
                return outcome;
            }

            if (found.Document.Inline is { } inline)
            {
                var (start, count) = found.Range is { } r ? (r.Start, r.Length) : (0L, inline.Length);
                return found with { Body = new MemoryStream(inline, (int)start, (int)count, writable: false, publiclyVisible: true) };
            }

            try
            {
                var body = await blobs.OpenReadAsync(found.Document.BlobKey!, found.Range, ct);
                return found with { Body = body };
            }
            catch (BlobNotFoundException) when (missingBlob != found.Document.BlobKey)
            {
                missingBlob = found.Document.BlobKey;
            }
        }
    }

    private async Task<StorageOutcome> ReadDocumentAsync(
        string owner, StoragePath path, RequestConditions conditions, string? rangeHeader, CancellationToken ct)
    {
        var node = await reads.FindDocumentAsync(owner, path.Value, ct);

        var isPublic = path.IsUnderPublic;
        if (node is null)
        {
            // RFC 9110 §13.1.1: If-Match on a missing resource fails.
            return conditions.IfMatch is not null ? new StorageOutcome.PreconditionFailed(null) : new StorageOutcome.NotFound();
        }

        var etag = ETag.FromStored(node.ETag);
        if (conditions.IfMatch is { } ifMatch && !ifMatch.MatchesStrong(etag))
        {
            return new StorageOutcome.PreconditionFailed(etag);
        }

        if (conditions.IfNoneMatch is { } ifNoneMatch && ifNoneMatch.MatchesWeak(etag))
        {
            return new StorageOutcome.NotModified(etag, isPublic);
        }

        var version = new DocumentVersion(etag, node.ContentType!, node.ContentLength, node.LastModifiedUtc, node.BlobKey, node.InlineContent);
        ByteRange? range = null;
        if (rangeHeader is not null && conditions.RangeApplies(etag))
        {
            switch (RangeHeader.TryParse(rangeHeader, node.ContentLength, out var r))
            {
                case RangeParseStatus.Satisfiable:
                    range = r;
                    break;
                case RangeParseStatus.Unsatisfiable:
                case RangeParseStatus.Malformed:
                    return new StorageOutcome.RangeNotSatisfiable(node.ContentLength);
                case RangeParseStatus.Ignore:
                    break;
            }
        }

        return new StorageOutcome.DocumentFound(version, range, isPublic, null);
    }

    public async Task<StorageOutcome> GetFolderAsync(
        string owner, StoragePath path, RequestConditions conditions, CancellationToken ct)
    {
        // One indexed query: the folder's own row and its direct children. When the folder's
        // version is the one If-None-Match names (remotestorage.js polls with one tag) or the one
        // a cached listing is of, only its own row comes back.
        var notIf = conditions.IfNoneMatch?.SingleOpaque ?? string.Empty;
        var cached = listings.Find(owner, path.Value);
        var rows = await reads.ListFolderAsync(owner, path.Value, notIf, cached?.ETag ?? string.Empty, ct);

        var self = rows.Find(r => r.Path == path.Value);

        // draft-26 §4: a folder with no documents below it does not exist, and is listed as
        // empty (never 404) with a stable version.
        var etag = self is null ? ETag.EmptyFolder : ETag.FromStored(self.ETag);
        if (conditions.IfMatch is { } ifMatch && !ifMatch.MatchesStrong(etag))
        {
            return new StorageOutcome.PreconditionFailed(etag);
        }

        if (conditions.IfNoneMatch is { } ifNoneMatch && ifNoneMatch.MatchesWeak(etag))
        {
            return new StorageOutcome.NotModified(etag, false);
        }

        if (self is not null && cached is not null && string.Equals(cached.ETag, self.ETag, StringComparison.Ordinal))
        {
            return new StorageOutcome.FolderListed(etag, cached.Body);
        }

        var children = rows.Where(r => r.Path != path.Value).ToList();
        children.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        var body = SerializeListing(path, children);
        if (self is not null)
        {
            listings.Store(owner, path.Value, self.ETag, body);
        }

        return new StorageOutcome.FolderListed(etag, body);
    }

    private static ReadOnlyMemory<byte> SerializeListing(StoragePath folder, List<ListingRow> children)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + (children.Count * 160));
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("@context", FolderContext);
            json.WriteStartObject("items");
            var prefix = folder.Value.Length;
            foreach (var child in children)
            {
                json.WriteStartObject(child.Path.AsSpan(prefix));

                // draft-26 §4: listing versions are written without the quotes.
                json.WriteString("ETag", child.ETag);
                if (!child.IsFolder)
                {
                    json.WriteString("Content-Type", child.ContentType);
                    json.WriteNumber("Content-Length", child.ContentLength);
                    json.WriteString("Last-Modified", HttpDates.Format(child.LastModifiedUtc));
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>
    /// Stores a new version. Small bodies (up to <c>Storage:InlineMaxBytes</c>) go into the
    /// metadata row itself; larger ones go to a fresh blob key first. Then one transaction makes
    /// the version current, and only after its commit is the old blob removed.
    /// </summary>
    public async Task<StorageOutcome> PutAsync(
        string owner, StoragePath path, string contentType, Stream body, long? declaredLength, RequestConditions conditions, CancellationToken ct)
    {
        var limit = options.Value.MaxDocumentBytes;
        var inlineMax = options.Value.InlineMaxBytes;
        string? key = null;
        byte[]? inline = null;
        long length;
        try
        {
            await using var limited = new LengthLimitedStream(body, limit);
            var prefix = inlineMax > 0 && (declaredLength is null || declaredLength <= inlineMax)
                ? await ReadUpToAsync(limited, inlineMax + 1, ct)
                : null;
            if (prefix is not null && prefix.Length <= inlineMax)
            {
                inline = prefix;
                length = prefix.Length;
            }
            else
            {
                key = BlobKeys.New();
                Stream source = prefix is null ? limited : new PrefixedStream(prefix, limited);
                length = await blobs.WriteAsync(key, source, declaredLength, ct);
            }
        }
        catch (PayloadTooLargeException)
        {
            return new StorageOutcome.PayloadTooLarge(limit);
        }
        catch (Exception e) when (IsClientAbort(e, ct))
        {
            LogUploadAborted(logger, owner);
            return new StorageOutcome.Aborted();
        }

        var write = new PendingPut(path, conditions, contentType, length, key, inline);
        StorageOutcome outcome;
        try
        {
            outcome = await writeQueues.RunAsync(owner, write, batch => CommitAsync(owner, batch));
        }
        catch
        {
            if (key is not null)
            {
                await DeleteBlobQuietlyAsync(key);
            }

            throw;
        }

        if (outcome is StorageOutcome.Created or StorageOutcome.Updated)
        {
            if (write.UnusedBlob is { } oldBlob)
            {
                await DeleteBlobQuietlyAsync(oldBlob);
            }
        }
        else if (key is not null)
        {
            await DeleteBlobQuietlyAsync(key);
        }

        return outcome;
    }

    public async Task<StorageOutcome> DeleteAsync(string owner, StoragePath path, RequestConditions conditions, CancellationToken ct)
    {
        // Once queued, the delete runs to its commit even if the client goes away.
        _ = ct;
        var write = new PendingDelete(path, conditions);
        var outcome = await writeQueues.RunAsync(owner, write, batch => CommitAsync(owner, batch));
        if (write.UnusedBlob is { } blobKey)
        {
            await DeleteBlobQuietlyAsync(blobKey);
        }

        return outcome;
    }

    /// <summary>
    /// One write transaction for a batch of one user's writes (<see cref="UserWriteQueues"/>):
    /// lock the account row, read every row the writes touch, apply them in order (each sees
    /// the ones before it), commit once. A write that fails its checks changes nothing.
    /// </summary>
    private async Task CommitAsync(string owner, IReadOnlyList<PendingWrite> batch)
    {
        // The commit must not be torn by a client that goes away after its upload finished.
        var none = CancellationToken.None;
        await using var tx = await db.Database.BeginTransactionAsync(none);
        var account = await UserLock.TakeAsync(db, owner, none);

        var keys = new HashSet<string>(StringComparer.Ordinal);
        var modules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var write in batch)
        {
            keys.Add(write.Path.Value);
            keys.Add(write.Path.AsOtherKind().Value);
            foreach (var a in write.Path.Ancestors())
            {
                keys.Add(a.Value);
                if (!a.IsRoot)
                {
                    keys.Add(a.AsOtherKind().Value);
                }
            }

            modules.Add(ModuleOf(write.Path));
        }

        var keyList = keys.ToList();
        var moduleList = modules.ToList();
        var rows = new WriteRows(db, owner, await db.Nodes.Where(n => n.Owner == owner && keyList.Contains(n.Path)).ToListAsync(none));
        var usage = await db.ModuleUsage.Where(m => m.Owner == owner && moduleList.Contains(m.Module))
            .ToDictionaryAsync(m => m.Module, StringComparer.Ordinal, none);

        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var write in batch)
        {
            write.Outcome = write switch
            {
                PendingPut put => ApplyPut(rows, account, usage, put, now),
                PendingDelete delete => ApplyDelete(rows, account, usage, delete, now),
                _ => throw new InvalidOperationException("unknown write"),
            };
        }

        if (!batch.Any(w => w.Outcome is StorageOutcome.Created or StorageOutcome.Updated or StorageOutcome.Deleted))
        {
            // Every write was refused: roll back, so not even the account row's write counter moves.
            return;
        }

        rows.RemoveGone();
        foreach (var module in usage.Values)
        {
            if (module.DocumentCount <= 0)
            {
                db.ModuleUsage.Remove(module);
            }
        }

        await db.SaveChangesAsync(none);
        await tx.CommitAsync(none);
    }

    private StorageOutcome ApplyPut(WriteRows rows, StorageAccount account, Dictionary<string, ModuleUsage> usage, PendingPut put, DateTime now)
    {
        var path = put.Path;
        var ancestors = path.Ancestors();

        // draft-26 §4: a name is either a document or a folder, anywhere along the path.
        foreach (var a in ancestors)
        {
            if (!a.IsRoot && rows.Find(a.AsOtherKind().Value) is not null)
            {
                return new StorageOutcome.Conflict($"'{a.AsOtherKind().Value}' is a document");
            }
        }

        if (rows.Find(path.AsOtherKind().Value) is not null)
        {
            return new StorageOutcome.Conflict($"'{path.Value}' is a folder");
        }

        var existing = rows.Find(path.Value);
        var current = existing is null ? (ETag?)null : ETag.FromStored(existing.ETag);
        if (put.Conditions.WriteFails(current))
        {
            return new StorageOutcome.PreconditionFailed(current);
        }

        // The account row is locked, so this check and the usage update below are atomic:
        // concurrent writers can never take the user past the quota together.
        var quota = quotas.Effective(account.QuotaBytes);
        var usedAfter = account.UsedBytes + put.Length - (existing?.ContentLength ?? 0);
        if (Quotas.Exceeded(quota, account.UsedBytes, usedAfter))
        {
            return new StorageOutcome.InsufficientStorage(quota);
        }

        var etag = ETag.New();
        if (existing is null)
        {
            var doc = rows.Create(path.Value);
            doc.ParentPath = path.Parent!.Value;
            doc.IsFolder = false;
            doc.ChildCount = 0;
            SetDocument(doc);
            account.DocumentCount++;
            account.UsedBytes += put.Length;
            AddModuleUsage(usage, account, path, put.Length, 1);
        }
        else
        {
            // The batch may already have replaced a blob of this document: that one is unused too.
            put.UnusedBlob = existing.BlobKey;
            account.UsedBytes += put.Length - existing.ContentLength;
            AddModuleUsage(usage, account, path, put.Length - existing.ContentLength, 0);
            SetDocument(existing);
        }

        // draft-26 §4: every ancestor up to the root gets a new version; missing ones are
        // created, and each new child bumps its parent's child count.
        var childIsNew = existing is null;
        for (var i = ancestors.Count - 1; i >= 0; i--)
        {
            var folder = ancestors[i];
            if (rows.Find(folder.Value) is { } row)
            {
                row.ETag = ETag.New().Value;
                row.LastModifiedUtc = now;
                if (childIsNew)
                {
                    row.ChildCount++;
                }

                childIsNew = false;
            }
            else
            {
                row = rows.Create(folder.Value);
                row.ParentPath = folder.Parent?.Value;
                row.IsFolder = true;
                row.ETag = ETag.New().Value;
                row.LastModifiedUtc = now;
                row.ContentType = null;
                row.ContentLength = 0;
                row.BlobKey = null;
                row.InlineContent = null;
                row.ChildCount = 1;
                childIsNew = true;
            }
        }

        return existing is null ? new StorageOutcome.Created(etag) : new StorageOutcome.Updated(etag);

        void SetDocument(StorageNode doc)
        {
            doc.ETag = etag.Value;
            doc.LastModifiedUtc = now;
            doc.ContentType = put.ContentType;
            doc.ContentLength = put.Length;
            doc.BlobKey = put.BlobKey;
            doc.InlineContent = put.Inline;
        }
    }

    private StorageOutcome ApplyDelete(WriteRows rows, StorageAccount account, Dictionary<string, ModuleUsage> usage, PendingDelete delete, DateTime now)
    {
        var path = delete.Path;
        if (rows.Find(path.Value) is not { } doc)
        {
            // RFC 9110 §13.1.1 would allow 412 for If-Match on a missing document;
            // the protocol's answer for a missing document is 404 (draft-26 §5).
            return new StorageOutcome.NotFound();
        }

        var deleted = ETag.FromStored(doc.ETag);
        if (delete.Conditions.WriteFails(deleted))
        {
            return new StorageOutcome.PreconditionFailed(deleted);
        }

        delete.UnusedBlob = doc.BlobKey;
        rows.Remove(doc);
        account.DocumentCount--;
        account.UsedBytes -= doc.ContentLength;
        AddModuleUsage(usage, account, path, -doc.ContentLength, -1);

        // Walk up: a folder left without children disappears (draft-26 §4), every other
        // ancestor gets a new version.
        var ancestors = path.Ancestors();
        var childRemoved = true;
        for (var i = ancestors.Count - 1; i >= 0; i--)
        {
            if (rows.Find(ancestors[i].Value) is not { } folder)
            {
                continue;
            }

            if (childRemoved)
            {
                folder.ChildCount--;
            }

            if (folder.ChildCount <= 0)
            {
                rows.Remove(folder);
                childRemoved = true;
            }
            else
            {
                folder.ETag = ETag.New().Value;
                folder.LastModifiedUtc = now;
                childRemoved = false;
            }
        }

        return new StorageOutcome.Deleted(deleted);
    }

    /// <summary>
    /// Deletes a user's whole storage (the admin CLI's <c>users remove</c>): every document and
    /// folder row and the usage row in one transaction, under the user's row lock so no write of
    /// that user interleaves; then the blobs, which nothing points at any more.
    /// </summary>
    public async Task<(long Documents, long Bytes)> DeleteAllAsync(string owner, CancellationToken ct)
    {
        List<string> keys;
        long documents;
        long bytes;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var account = await UserLock.TakeAsync(db, owner, ct);
            documents = account.DocumentCount;
            bytes = account.UsedBytes;
            keys = await db.Nodes.AsNoTracking()
                .Where(n => n.Owner == owner && !n.IsFolder && n.BlobKey != null)
                .Select(n => n.BlobKey!)
                .ToListAsync(ct);
            await db.Nodes.Where(n => n.Owner == owner).ExecuteDeleteAsync(ct);
            await db.ModuleUsage.Where(m => m.Owner == owner).ExecuteDeleteAsync(ct);
            await db.Accounts.Where(a => a.UserName == owner).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
        }

        // The row UserLock attached is gone now.
        db.ChangeTracker.Clear();
        foreach (var key in keys)
        {
            await DeleteBlobQuietlyAsync(key);
        }

        return (documents, bytes);
    }

    /// <summary>
    /// Applies a write's change to its module's counters (rows read with the batch; a module
    /// left without documents is removed when the batch is saved). The account row lock is
    /// held, so no other write of this user touches them: read-modify-write is safe.
    /// </summary>
    private void AddModuleUsage(Dictionary<string, ModuleUsage> usage, StorageAccount account, StoragePath path, long bytes, int documents)
    {
        var module = ModuleOf(path);
        if (!usage.TryGetValue(module, out var row))
        {
            row = new ModuleUsage { Owner = account.UserName, Module = module };
            db.ModuleUsage.Add(row);
            usage[module] = row;
        }

        row.UsedBytes += bytes;
        row.DocumentCount += documents;
    }

    /// <summary>The module a document counts under: its scope module, or <c>""</c> for documents
    /// directly under <c>/</c> or <c>/public/</c> (shown as "(top level)").</summary>
    public static string ModuleOf(StoragePath path) => path.Module ?? string.Empty;

    private async Task DeleteBlobQuietlyAsync(string key)
    {
        try
        {
            await blobs.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Left for the orphan sweeper; the metadata no longer points at it.
            LogBlobDeleteFailed(logger, key, e);
        }
    }

    /// <summary>Reads until <paramref name="max"/> bytes or the end of the body.</summary>
    private static async Task<byte[]> ReadUpToAsync(Stream stream, long max, CancellationToken ct)
    {
        var buffer = new byte[max];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), ct)) > 0)
        {
            filled += read;
        }

        return filled == buffer.Length ? buffer : buffer[..filled];
    }

    private static bool IsClientAbort(Exception e, CancellationToken ct) =>
        ct.IsCancellationRequested || e is OperationCanceledException or IOException or Microsoft.AspNetCore.Http.BadHttpRequestException;

    /// <summary>
    /// The node rows a write batch read, as the writes in it change them. A row removed by one
    /// write and created again by a later one is the same tracked entity, revived: removals
    /// are only handed to EF when the batch is saved.
    /// </summary>
    private sealed class WriteRows(StorageDbContext db, string owner, List<StorageNode> loaded)
    {
        private readonly Dictionary<string, StorageNode> _rows = loaded.ToDictionary(n => n.Path, StringComparer.Ordinal);
        private readonly HashSet<string> _gone = new(StringComparer.Ordinal);

        public StorageNode? Find(string path) => _rows.TryGetValue(path, out var node) && !_gone.Contains(path) ? node : null;

        /// <summary>A row for a node that does not exist now; the caller sets every column.</summary>
        public StorageNode Create(string path)
        {
            if (_rows.TryGetValue(path, out var node))
            {
                _gone.Remove(path);
                return node;
            }

            node = new StorageNode { Owner = owner, Path = path, ETag = string.Empty };
            db.Nodes.Add(node);
            _rows[path] = node;
            return node;
        }

        public void Remove(StorageNode node) => _gone.Add(node.Path);

        public void RemoveGone()
        {
            foreach (var path in _gone)
            {
                db.Nodes.Remove(_rows[path]);
            }
        }
    }


    [LoggerMessage(Level = LogLevel.Information, Message = "Upload for {Owner} ended before its body was complete; nothing stored")]
    private static partial void LogUploadAborted(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete blob {Key}; the orphan sweeper will retry")]
    private static partial void LogBlobDeleteFailed(ILogger logger, string key, Exception exception);
}
