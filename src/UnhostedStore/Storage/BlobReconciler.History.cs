using Microsoft.EntityFrameworkCore;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Storage;

/// <summary><c>reconcile</c>'s checks of retained versions (history and trash).</summary>
public sealed partial class BlobReconciler
{
    /// <summary>Version rows whose blob is gone; with repair they are removed (the account's
    /// history bytes with them), under each owner's lock.</summary>
    private async Task<(List<MissingVersionBlob>, int)> CheckVersionBlobsAsync(HashSet<string> seen, bool repair, IProgress<ReconcileProgress>? progress, CancellationToken ct)
    {
        const string Stage = "checking history for missing blobs";
        var rows = await db.DocumentVersions.AsNoTracking().Where(v => v.BlobKey != null)
            .Select(v => new { v.Id, v.Owner, v.Path, v.BlobKey }).ToListAsync(ct);
        var missing = new List<MissingVersionBlob>();
        var done = 0;
        progress?.Report(new ReconcileProgress(Stage, 0, rows.Count));
        foreach (var row in rows)
        {
            // A version written after the listing started names a blob the listing may not have seen.
            if (!seen.Contains(row.BlobKey!) && !await ExistsAsync(row.BlobKey!, ct))
            {
                missing.Add(new MissingVersionBlob(row.Owner, row.Path, row.Id, row.BlobKey!));
            }

            if (++done % Page == 0 || done == rows.Count)
            {
                progress?.Report(new ReconcileProgress(Stage, done, rows.Count));
            }
        }

        var removed = 0;
        if (repair)
        {
            foreach (var owner in missing.GroupBy(m => m.Owner, StringComparer.Ordinal))
            {
                var ids = owner.Select(m => m.VersionId).ToList();
                removed += (await VersionRemoval.RemoveAsync(db, owner.Key, q => q.Where(v => ids.Contains(v.Id)), ct)).Count;
            }
        }

        return (missing, removed);
    }

    /// <summary>Bytes of retained versions per owner.</summary>
    private async Task<Dictionary<string, long>> ActualHistoryAsync(string? owner, CancellationToken ct)
    {
        var query = db.DocumentVersions.AsNoTracking();
        if (owner is not null)
        {
            query = query.Where(v => v.Owner == owner);
        }

        return await query.GroupBy(v => v.Owner)
            .Select(g => new { Owner = g.Key, Bytes = g.Sum(v => v.ContentLength) })
            .ToDictionaryAsync(x => x.Owner, x => x.Bytes, StringComparer.Ordinal, ct);
    }
}
