using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>
/// One user's writes happen one at a time: every write transaction first takes the user's
/// account row, which also carries the usage counters the quota check reads. Holding it makes
/// "check the quota, then add to the usage" atomic, across server processes too.
/// </summary>
public static class UserLock
{
    /// <summary>Takes the lock inside the caller's transaction and returns the user's tracked row.</summary>
    public static Task<StorageAccount> TakeAsync(StorageDbContext db, string owner, CancellationToken ct)
    {
        // Every write starts from what the database holds now: a context that ran an earlier
        // write (the reconciler deletes several rows through one context) would otherwise still
        // track that write's account and folder rows, fail to attach the account again, and read
        // stale folder rows through identity resolution.
        db.ChangeTracker.Clear();
        return AccountRowLock.LockAsync(db, owner, ct);
    }

    /// <summary>Takes several users' locks in one statement, in ordinal order of their names (the
    /// order every instance takes them in), and returns their tracked rows.</summary>
    public static Task<Dictionary<string, StorageAccount>> TakeManyAsync(StorageDbContext db, IEnumerable<string> owners, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var ordered = owners.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return AccountRowLock.LockManyAsync(db, ordered, ct);
    }

    /// <summary>Sets a user's own quota: null follows <c>Storage:DefaultQuotaBytes</c>, 0 means
    /// no limit. Takes the lock like a write, so no PUT interleaves.</summary>
    public static async Task SetQuotaAsync(StorageDbContext db, string owner, long? quotaBytes, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var account = await TakeAsync(db, owner, ct);
        account.QuotaBytes = quotaBytes;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
