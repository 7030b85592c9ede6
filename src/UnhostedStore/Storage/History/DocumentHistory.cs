using Microsoft.EntityFrameworkCore;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.History;

/// <summary>
/// The owner's view of document history (the safety net under every overwrite and deletion):
/// list a document's versions or a folder's trash, open a retained version, restore one version
/// or a whole folder as it was at a point in time, and delete history for good.
/// <para>Every operation is scoped by <c>owner</c>: a version id of another user is "not found".
/// A restore is an ordinary write through <see cref="WriteBatch"/> (new ETag, folder versions up
/// to the root, the quota, and the replaced current version goes to history itself, so a restore
/// can be undone too). It requires the document still to be as it was read, so a concurrent
/// change is reported as a conflict and never overwritten. Removing history takes the owner's
/// write lock (<see cref="VersionRemoval"/>) and deletes blobs only after the commit, and only
/// those no document or version row still names (<see cref="BlobRelease"/>).</para>
/// </summary>
public sealed partial class DocumentHistory(StorageDbContext db, DocumentWrites writes, IBlobStore blobs, BlobRelease release, TimeProvider clock)
{
    /// <summary>Writes per transaction in a folder restore, and rows per step of a purge.</summary>
    public const int BatchSize = 500;

    /// <summary>A document's current version (if it exists) and its retained versions, newest first.</summary>
    public async Task<DocumentVersionList> ListVersionsAsync(string owner, StoragePath document, CancellationToken ct = default)
    {
        RequireDocument(document);
        var node = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && n.Path == document.Value && !n.IsFolder)
            .Select(n => new { n.ETag, n.ContentType, n.ContentLength, n.LastModifiedUtc, n.ModifiedBy })
            .FirstOrDefaultAsync(ct);
        var retained = await db.DocumentVersions.AsNoTracking()
            .Where(v => v.Owner == owner && v.Path == document.Value)
            .OrderByDescending(v => v.ReplacedUtc).ThenByDescending(v => v.Id)
            .Select(v => new VersionInfo(v.Id, ETag.FromStored(v.ETag), v.ContentType, v.ContentLength, v.CreatedUtc, v.CreatedBy, v.ReplacedUtc, v.ReplacedBy, v.Deleted))
            .ToListAsync(ct);
        var current = node is null
            ? null
            : new VersionInfo(null, ETag.FromStored(node.ETag), node.ContentType ?? string.Empty, node.ContentLength, node.LastModifiedUtc, node.ModifiedBy, null, null, false);
        return new DocumentVersionList(document, current, retained);
    }

    /// <summary>
    /// The trash under <paramref name="folder"/> (recursively): documents deleted whose path
    /// does not exist now, each as of its latest deletion, newest deletion first.
    /// </summary>
    public async Task<IReadOnlyList<TrashItem>> ListTrashAsync(string owner, StoragePath folder, CancellationToken ct = default)
    {
        RequireFolder(folder);
        var prefix = folder.Value;
        var rows = await db.DocumentVersions.AsNoTracking()
            .Where(v => v.Owner == owner && v.Deleted && v.Path.StartsWith(prefix)
                && !db.Nodes.Any(n => n.Owner == owner && n.Path == v.Path))
            .Select(v => new { v.Id, v.Path, v.ReplacedUtc, v.ReplacedBy, v.ContentType, v.ContentLength })
            .ToListAsync(ct);

        // SQLite's LIKE ignores case: the prefix is checked again, exactly.
        return rows.Where(r => r.Path.StartsWith(prefix, StringComparison.Ordinal))
            .GroupBy(r => r.Path, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(r => r.ReplacedUtc).ThenByDescending(r => r.Id).First())
            .Select(r =>
            {
                var path = StoragePath.FromStored(r.Path);
                return new TrashItem(path, WriteBatch.ModuleOf(path), path.Parent!, r.Id, r.ReplacedUtc, r.ReplacedBy, r.ContentType, r.ContentLength);
            })
            .OrderByDescending(t => t.DeletedUtc).ThenBy(t => t.Path.Value, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Opens a retained version's bytes; null when there is no such version of this
    /// owner, or it was purged meanwhile.</summary>
    public async Task<OpenedVersion?> OpenVersionAsync(string owner, long id, CancellationToken ct = default)
    {
        var version = await db.DocumentVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Owner == owner && v.Id == id, ct);
        if (version is null)
        {
            return null;
        }

        Stream content;
        if (version.InlineContent is { } inline)
        {
            content = new MemoryStream(inline, writable: false);
        }
        else
        {
            try
            {
                content = await blobs.OpenReadAsync(version.BlobKey!, null, ct);
            }
            catch (BlobNotFoundException)
            {
                return null;
            }
        }

        return new OpenedVersion(version.Id, StoragePath.FromStored(version.Path), ETag.FromStored(version.ETag), version.ContentType, version.ContentLength, content);
    }

    /// <summary>
    /// Makes a retained version the document's current one again (also when the document was
    /// deleted). <paramref name="app"/> is who restores: a label such as
    /// <see cref="HistoryLabels.AccountPage"/>.
    /// </summary>
    public async Task<RestoreOutcome> RestoreVersionAsync(string owner, long id, string? app, CancellationToken ct = default)
    {
        var version = await db.DocumentVersions.AsNoTracking()
            .Where(v => v.Owner == owner && v.Id == id)
            .Select(v => new { v.Path, v.ContentType, v.ContentLength, v.BlobKey, v.InlineContent })
            .FirstOrDefaultAsync(ct);
        if (version is null)
        {
            return new RestoreOutcome(RestoreStatus.NotFound, null, null, "That version is no longer kept.");
        }

        var path = StoragePath.FromStored(version.Path);
        var current = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && n.Path == version.Path && !n.IsFolder)
            .Select(n => n.ETag)
            .FirstOrDefaultAsync(ct);
        var write = new PendingPut(
            path,
            RequestConditions.Expecting(current is null ? null : ETag.FromStored(current)),
            version.ContentType,
            version.ContentLength,
            version.BlobKey,
            version.InlineContent)
        {
            App = HistoryLabels.Clip(app),
            SourceVersionId = id,
        };
        await writes.CommitAsync(owner, [write]);
        return write.Outcome switch
        {
            StorageOutcome.Created created => new RestoreOutcome(RestoreStatus.Restored, path, created.ETag, null),
            StorageOutcome.Updated updated => new RestoreOutcome(RestoreStatus.Restored, path, updated.ETag, null),
            var other => Refused(path, other),
        };
    }

    /// <summary>Deletes every retained version of <paramref name="document"/> for good (its
    /// trash entry too); the current version, if any, stays.</summary>
    public async Task<HistoryPurgeResult> DeleteForGoodAsync(string owner, StoragePath document, CancellationToken ct = default)
    {
        RequireDocument(document);
        var path = document.Value;
        return await RemoveAsync(owner, q => q.Where(v => v.Path == path), ct);
    }

    /// <summary>Deletes one retained version for good; false when there is no such version of this owner.</summary>
    public async Task<bool> DeleteVersionAsync(string owner, long id, CancellationToken ct = default) =>
        (await RemoveAsync(owner, q => q.Where(v => v.Id == id), ct)).Versions > 0;

    /// <summary>Deletes the owner's whole history and trash, or only versions replaced more than
    /// <paramref name="olderThan"/> ago, in transactions of <see cref="BatchSize"/> versions.</summary>
    public async Task<HistoryPurgeResult> PurgeAsync(string owner, TimeSpan? olderThan, CancellationToken ct = default)
    {
        var cutoff = olderThan is { } age ? clock.GetUtcNow().UtcDateTime - age : (DateTime?)null;
        var total = new HistoryPurgeResult(0, 0);
        while (true)
        {
            var step = await RemoveAsync(owner, q => (cutoff is { } c ? q.Where(v => v.ReplacedUtc < c) : q).OrderBy(v => v.Id).Take(BatchSize), ct);
            if (step.Versions == 0)
            {
                return total;
            }

            total = new HistoryPurgeResult(total.Versions + step.Versions, total.Bytes + step.Bytes);
        }
    }

    private async Task<HistoryPurgeResult> RemoveAsync(string owner, Func<IQueryable<RetainedVersion>, IQueryable<RetainedVersion>> select, CancellationToken ct)
    {
        var removed = await VersionRemoval.RemoveAsync(db, owner, select, ct);
        await release.DeleteUnreferencedAsync(owner, removed.BlobKeys);
        return new HistoryPurgeResult(removed.Count, removed.Bytes);
    }

    /// <summary>Why a restore write was refused, in words for the owner.</summary>
    private static RestoreOutcome Refused(StoragePath path, StorageOutcome? outcome) => outcome switch
    {
        StorageOutcome.PreconditionFailed => new RestoreOutcome(RestoreStatus.Conflict, path, null, "It changed while it was being restored; nothing was overwritten. Try again."),
        StorageOutcome.Conflict => new RestoreOutcome(RestoreStatus.Conflict, path, null, "A folder or a document in the way has the same name."),
        StorageOutcome.InsufficientStorage => new RestoreOutcome(RestoreStatus.QuotaExceeded, path, null, "It does not fit in your storage quota."),
        StorageOutcome.NotFound => new RestoreOutcome(RestoreStatus.NotFound, path, null, "That version is no longer kept."),
        _ => new RestoreOutcome(RestoreStatus.Conflict, path, null, "The store refused it."),
    };

    private static void RequireDocument(StoragePath path)
    {
        if (!path.IsDocument)
        {
            throw new ArgumentException("A document path does not end in '/'.", nameof(path));
        }
    }

    private static void RequireFolder(StoragePath path)
    {
        if (!path.IsFolder)
        {
            throw new ArgumentException("A folder path ends in '/'.", nameof(path));
        }
    }
}
