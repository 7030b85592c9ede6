using System.Buffers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
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
    IOptions<StorageOptions> options,
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
                return found with { Body = new MemoryStream(inline, (int)start, (int)count, writable: false) };
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
        var node = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && n.Path == path.Value)
            .Select(n => new { n.ETag, n.ContentType, n.ContentLength, n.LastModifiedUtc, n.BlobKey, n.InlineContent })
            .FirstOrDefaultAsync(ct);

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
        // One indexed query: the folder's own row and its direct children.
        var rows = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && (n.ParentPath == path.Value || n.Path == path.Value))
            .Select(n => new ListingRow(n.Path, n.IsFolder, n.ETag, n.ContentType, n.ContentLength, n.LastModifiedUtc))
            .ToListAsync(ct);

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

        var children = rows.Where(r => r.Path != path.Value).ToList();
        children.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new StorageOutcome.FolderListed(etag, SerializeListing(path, children));
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

        StorageOutcome outcome;
        string? oldBlob = null;
        try
        {
            (outcome, oldBlob) = await CommitPutAsync(owner, path, contentType, length, key, inline);
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
            if (oldBlob is not null)
            {
                await DeleteBlobQuietlyAsync(oldBlob);
            }
        }
        else if (key is not null)
        {
            await DeleteBlobQuietlyAsync(key);
        }

        return outcome;

        async Task<(StorageOutcome, string?)> CommitPutAsync(string owner, StoragePath path, string contentType, long length, string? key, byte[]? inline)
        {
            // The commit must not be torn by a client that goes away after its upload finished.
            var none = CancellationToken.None;
            await using var tx = await db.Database.BeginTransactionAsync(none);
            var account = await LockAccountAsync(owner, none);

            var ancestors = path.Ancestors();
            var keys = new List<string>((ancestors.Count * 2) + 2) { path.Value, path.AsOtherKind().Value };
            foreach (var a in ancestors)
            {
                keys.Add(a.Value);
                if (!a.IsRoot)
                {
                    keys.Add(a.AsOtherKind().Value);
                }
            }

            var nodes = await db.Nodes.Where(n => n.Owner == owner && keys.Contains(n.Path)).ToDictionaryAsync(n => n.Path, StringComparer.Ordinal, none);

            // draft-26 §4: a name is either a document or a folder, anywhere along the path.
            foreach (var a in ancestors)
            {
                if (!a.IsRoot && nodes.ContainsKey(a.AsOtherKind().Value))
                {
                    return (new StorageOutcome.Conflict($"'{a.AsOtherKind().Value}' is a document"), null);
                }
            }

            if (nodes.ContainsKey(path.AsOtherKind().Value))
            {
                return (new StorageOutcome.Conflict($"'{path.Value}' is a folder"), null);
            }

            nodes.TryGetValue(path.Value, out var existing);
            var current = existing is null ? (ETag?)null : ETag.FromStored(existing.ETag);
            if (conditions.WriteFails(current))
            {
                return (new StorageOutcome.PreconditionFailed(current), null);
            }

            // The account row is locked, so this check and the usage update below are atomic:
            // concurrent writers can never take the user past the quota together.
            var quota = account.QuotaBytes ?? options.Value.DefaultQuotaBytes;
            var usedAfter = account.UsedBytes + length - (existing?.ContentLength ?? 0);
            if (quota > 0 && usedAfter > quota && usedAfter > account.UsedBytes)
            {
                return (new StorageOutcome.InsufficientStorage(quota), null);
            }

            var now = clock.GetUtcNow().UtcDateTime;
            var etag = ETag.New();
            var parentPath = path.Parent!.Value;
            string? oldBlob = null;
            if (existing is null)
            {
                db.Nodes.Add(new StorageNode
                {
                    Owner = owner,
                    Path = path.Value,
                    ParentPath = parentPath,
                    IsFolder = false,
                    ETag = etag.Value,
                    LastModifiedUtc = now,
                    ContentType = contentType,
                    ContentLength = length,
                    BlobKey = key,
                    InlineContent = inline,
                });
                account.DocumentCount++;
                account.UsedBytes += length;
                await AddModuleUsageAsync(owner, path, length, 1);
            }
            else
            {
                oldBlob = existing.BlobKey;
                account.UsedBytes += length - existing.ContentLength;
                await AddModuleUsageAsync(owner, path, length - existing.ContentLength, 0);
                existing.ETag = etag.Value;
                existing.LastModifiedUtc = now;
                existing.ContentType = contentType;
                existing.ContentLength = length;
                existing.BlobKey = key;
                existing.InlineContent = inline;
            }

            // draft-26 §4: every ancestor up to the root gets a new version; missing ones are
            // created, and each new child bumps its parent's child count.
            var childIsNew = existing is null;
            for (var i = ancestors.Count - 1; i >= 0; i--)
            {
                var folder = ancestors[i];
                if (nodes.TryGetValue(folder.Value, out var row))
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
                    db.Nodes.Add(new StorageNode
                    {
                        Owner = owner,
                        Path = folder.Value,
                        ParentPath = folder.Parent?.Value,
                        IsFolder = true,
                        ETag = ETag.New().Value,
                        LastModifiedUtc = now,
                        ChildCount = 1,
                    });
                    childIsNew = true;
                }
            }

            await db.SaveChangesAsync(none);
            await tx.CommitAsync(none);
            return (existing is null ? new StorageOutcome.Created(etag) : new StorageOutcome.Updated(etag), oldBlob);
        }
    }

    public async Task<StorageOutcome> DeleteAsync(string owner, StoragePath path, RequestConditions conditions, CancellationToken ct)
    {
        _ = ct;
        var none = CancellationToken.None;
        string? blobKey;
        ETag deleted;
        await using (var tx = await db.Database.BeginTransactionAsync(none))
        {
            var account = await LockAccountAsync(owner, none);
            var ancestors = path.Ancestors();
            var keys = new List<string>(ancestors.Count + 1) { path.Value };
            keys.AddRange(ancestors.Select(a => a.Value));
            var nodes = await db.Nodes.Where(n => n.Owner == owner && keys.Contains(n.Path)).ToDictionaryAsync(n => n.Path, StringComparer.Ordinal, none);

            if (!nodes.TryGetValue(path.Value, out var doc))
            {
                // RFC 9110 §13.1.1 would allow 412 for If-Match on a missing document;
                // the protocol's answer for a missing document is 404 (draft-26 §5).
                return new StorageOutcome.NotFound();
            }

            deleted = ETag.FromStored(doc.ETag);
            if (conditions.WriteFails(deleted))
            {
                return new StorageOutcome.PreconditionFailed(deleted);
            }

            blobKey = doc.BlobKey;
            db.Nodes.Remove(doc);
            account.DocumentCount--;
            account.UsedBytes -= doc.ContentLength;
            await AddModuleUsageAsync(owner, path, -doc.ContentLength, -1);

            // Walk up: a folder left without children disappears (draft-26 §4), every other
            // ancestor gets a new version.
            var now = clock.GetUtcNow().UtcDateTime;
            var childRemoved = true;
            for (var i = ancestors.Count - 1; i >= 0; i--)
            {
                if (!nodes.TryGetValue(ancestors[i].Value, out var folder))
                {
                    continue;
                }

                if (childRemoved)
                {
                    folder.ChildCount--;
                }

                if (folder.ChildCount <= 0)
                {
                    db.Nodes.Remove(folder);
                    childRemoved = true;
                }
                else
                {
                    folder.ETag = ETag.New().Value;
                    folder.LastModifiedUtc = now;
                    childRemoved = false;
                }
            }

            await db.SaveChangesAsync(none);
            await tx.CommitAsync(none);
        }

        if (blobKey is not null)
        {
            await DeleteBlobQuietlyAsync(blobKey);
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
            var account = await LockAccountAsync(owner, ct);
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

        // The row LockAccountAsync attached is gone now.
        db.ChangeTracker.Clear();
        foreach (var key in keys)
        {
            await DeleteBlobQuietlyAsync(key);
        }

        return (documents, bytes);
    }

    /// <summary>
    /// Takes the user's row lock (creating the row on first write) and returns the tracked row.
    /// In PostgreSQL the upsert holds the row lock until commit, so writes of one user are
    /// serialized even across server processes; SQLite serializes all writers anyway.
    /// </summary>
    private async Task<StorageAccount> LockAccountAsync(string owner, CancellationToken ct)
    {
        // Every write starts from what the database holds now: a context that ran an earlier
        // write (the reconciler deletes several rows through one StorageService) would otherwise
        // still track that write's account and folder rows, fail to attach the account again,
        // and read stale folder rows through identity resolution.
        db.ChangeTracker.Clear();
        var rows = await db.Database.SqlQuery<AccountRow>($"""
            INSERT INTO "StorageAccounts" ("UserName", "WriteVersion", "UsedBytes", "DocumentCount")
            VALUES ({owner}, 1, 0, 0)
            ON CONFLICT ("UserName") DO UPDATE SET "WriteVersion" = "StorageAccounts"."WriteVersion" + 1
            RETURNING "WriteVersion", "UsedBytes", "DocumentCount", "QuotaBytes"
            """).ToListAsync(ct);
        var row = rows[0];
        var account = new StorageAccount
        {
            UserName = owner,
            WriteVersion = row.WriteVersion,
            UsedBytes = row.UsedBytes,
            DocumentCount = row.DocumentCount,
            QuotaBytes = row.QuotaBytes,
        };
        db.Accounts.Attach(account);
        return account;
    }

    /// <summary>Sets a user's own quota: null follows <c>Storage:DefaultQuotaBytes</c>, 0 means
    /// no limit. Takes the account row lock like a write, so no PUT interleaves.</summary>
    public async Task SetQuotaAsync(string owner, long? quotaBytes, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var account = await LockAccountAsync(owner, ct);
        account.QuotaBytes = quotaBytes;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Applies a write's change to its module's counters. Called inside the write transaction
    /// after the account row lock is held, so no other write of this user can touch the row
    /// (PostgreSQL row lock; SQLite has one writer): read-modify-write is safe.
    /// </summary>
    private async Task AddModuleUsageAsync(string owner, StoragePath path, long bytes, int documents)
    {
        var module = ModuleOf(path);
        var row = await db.ModuleUsage.FindAsync([owner, module], CancellationToken.None);
        if (row is null)
        {
            db.ModuleUsage.Add(new ModuleUsage { Owner = owner, Module = module, UsedBytes = bytes, DocumentCount = documents });
            return;
        }

        row.UsedBytes += bytes;
        row.DocumentCount += documents;
        if (row.DocumentCount <= 0)
        {
            db.ModuleUsage.Remove(row);
        }
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

    private sealed class AccountRow
    {
        public long WriteVersion { get; set; }

        public long UsedBytes { get; set; }

        public long DocumentCount { get; set; }

        public long? QuotaBytes { get; set; }
    }

    private sealed record ListingRow(string Path, bool IsFolder, string ETag, string? ContentType, long ContentLength, DateTime LastModifiedUtc);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload for {Owner} ended before its body was complete; nothing stored")]
    private static partial void LogUploadAborted(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete blob {Key}; the orphan sweeper will retry")]
    private static partial void LogBlobDeleteFailed(ILogger logger, string key, Exception exception);
}
