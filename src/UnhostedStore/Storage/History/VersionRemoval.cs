using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.History;

/// <summary>What one removal of retained versions took away; <see cref="BlobKeys"/> are to be
/// released after the commit (<see cref="BlobRelease"/>), since other rows may still name them.</summary>
public sealed record RemovedVersions(int Count, long Bytes, IReadOnlyList<string> BlobKeys)
{
    public static readonly RemovedVersions None = new(0, 0, []);
}

/// <summary>
/// Removes retained versions of one owner: one transaction under the owner's row lock (the lock
/// every write takes), so the account's <see cref="StorageAccount.HistoryBytes"/> stays exact and
/// no restore can take a version's blob while it goes (a restore re-reads its version under the
/// same lock). Rows first; the caller deletes the blobs after the commit.
/// </summary>
public static class VersionRemoval
{
    /// <summary>Removes the versions <paramref name="select"/> picks among the owner's, read
    /// again under the lock (so a repeat, or a second instance doing the same, removes nothing
    /// twice). Nothing to remove commits nothing.</summary>
    public static async Task<RemovedVersions> RemoveAsync(
        StorageDbContext db, string owner, Func<IQueryable<RetainedVersion>, IQueryable<RetainedVersion>> select, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var account = await UserLock.TakeAsync(db, owner, ct);
        var rows = await select(db.DocumentVersions.AsNoTracking().Where(v => v.Owner == owner))
            .Select(v => new { v.Id, v.ContentLength, v.BlobKey })
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            // Rolled back: not even the account row's write counter moves.
            db.ChangeTracker.Clear();
            return RemovedVersions.None;
        }

        var ids = rows.Select(r => r.Id).ToList();
        await db.DocumentVersions.Where(v => v.Owner == owner && ids.Contains(v.Id)).ExecuteDeleteAsync(ct);
        var bytes = rows.Sum(r => r.ContentLength);
        account.HistoryBytes -= bytes;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return new RemovedVersions(rows.Count, bytes, rows.Where(r => r.BlobKey is not null).Select(r => r.BlobKey!).ToList());
    }
}
