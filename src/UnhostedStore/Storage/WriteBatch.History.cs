using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// The write path's part of document history: the version a PUT replaces or a DELETE removes
/// becomes a <see cref="RetainedVersion"/> row in the same transaction (it joins the batch's one
/// SaveChanges, so a write costs no extra round trip), and the oldest history gives way when a
/// write needs its room under the quota.
/// </summary>
public sealed partial class WriteBatch
{
    private static readonly IReadOnlySet<long> NoSources = new HashSet<long>();

    /// <summary>Rows read per step while purging the oldest history for room.</summary>
    private const int PurgePage = 100;

    /// <summary>The retained versions a batch's restores bring back that still exist, read under
    /// the lock (one query, and only for a batch that has restores).</summary>
    private async Task<IReadOnlySet<long>> LiveSourcesAsync(string owner, IReadOnlyList<PendingWrite> batch, CancellationToken ct)
    {
        List<long>? ids = null;
        foreach (var write in batch)
        {
            if (write is PendingPut { SourceVersionId: { } id })
            {
                (ids ??= []).Add(id);
            }
        }

        if (ids is null)
        {
            return NoSources;
        }

        var live = await db.DocumentVersions.AsNoTracking().Where(v => v.Owner == owner && ids.Contains(v.Id)).Select(v => v.Id).ToListAsync(ct);
        return live.ToHashSet();
    }

    /// <summary>Keeps <paramref name="node"/>'s current version as history before the write
    /// changes or removes it. Its bytes stay where they are (inline array, or blob key). The row
    /// is inserted with the batch's other changes (<see cref="VersionRows"/>).</summary>
    private static void Retain(BatchHistory history, StorageNode node, string? replacedBy, bool deleted, DateTime now)
    {
        var version = new RetainedVersion
        {
            Owner = node.Owner,
            Path = node.Path,
            ETag = node.ETag,
            ContentType = node.ContentType ?? string.Empty,
            ContentLength = node.ContentLength,
            BlobKey = node.BlobKey,
            InlineContent = node.InlineContent,
            CreatedUtc = node.LastModifiedUtc,
            BornUtc = node.BornUtc,
            CreatedBy = node.ModifiedBy,
            ReplacedUtc = now,
            ReplacedBy = replacedBy,
            Deleted = deleted,
        };
        history.Added.Add(version);
        history.Account.HistoryBytes += version.ContentLength;
    }

    /// <summary>
    /// Purges the owner's oldest retained versions, committed ones first (ordered by when they
    /// were replaced), then those this batch added, until <paramref name="need"/> bytes are freed
    /// or none is left. The rows go in this transaction; their blobs are handed to
    /// <paramref name="write"/>, to be deleted after the commit if nothing names them then.
    /// </summary>
    private async Task<long> PurgeOldestAsync(string owner, BatchHistory history, PendingWrite write, long need)
    {
        var none = CancellationToken.None;
        var freed = 0L;
        while (freed < need)
        {
            var oldest = await db.DocumentVersions.AsNoTracking()
                .Where(v => v.Owner == owner)
                .OrderBy(v => v.ReplacedUtc).ThenBy(v => v.Id)
                .Take(PurgePage)
                .Select(v => new { v.Id, v.ContentLength, v.BlobKey })
                .ToListAsync(none);
            if (oldest.Count == 0)
            {
                break;
            }

            var ids = new List<long>();
            foreach (var v in oldest)
            {
                if (freed >= need)
                {
                    break;
                }

                ids.Add(v.Id);
                freed += v.ContentLength;
                write.AddUnusedBlob(v.BlobKey);
            }

            await db.DocumentVersions.Where(v => v.Owner == owner && ids.Contains(v.Id)).ExecuteDeleteAsync(none);
        }

        while (freed < need && history.Added.Count > 0)
        {
            // Not inserted yet: it is just left out.
            var version = history.Added[0];
            history.Added.RemoveAt(0);
            freed += version.ContentLength;
            write.AddUnusedBlob(version.BlobKey);
        }

        history.Account.HistoryBytes -= freed;
        return freed;
    }

    /// <summary>One batch's view of history: whether it is kept, the versions it added so far
    /// (oldest first) and the restore sources that still exist.</summary>
    private sealed class BatchHistory(StorageAccount account, bool enabled, IReadOnlySet<long> liveSources)
    {
        public StorageAccount Account { get; } = account;

        public IReadOnlySet<long> LiveSources { get; } = liveSources;

        public List<RetainedVersion> Added { get; } = [];

        public bool Keeps(PendingWrite write) => enabled && write.KeepHistory;
    }
}
