using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>The whole server at a glance, for the admin overview.</summary>
public sealed record StoreTotals(int Users, int Admins, int Disabled, int Leaving, long UsedBytes, long HistoryBytes, long DocumentCount);

/// <summary>Bytes and documents of one user, or of one module across all users.</summary>
public sealed record UsageShare(string Name, long UsedBytes, long DocumentCount);

/// <summary>
/// Server-wide sums of the usage counters every write keeps up to date (the account rows and
/// <see cref="ModuleUsage"/>), so the overview costs a few aggregate queries, never a scan of
/// the documents.
/// </summary>
public static class StoreStatistics
{
    public static async Task<StoreTotals> TotalsAsync(StorageDbContext db, CancellationToken ct)
    {
        var users = db.Users.AsNoTracking();
        var accounts = db.Accounts.AsNoTracking();
        return new StoreTotals(
            await users.CountAsync(ct),
            await users.CountAsync(u => u.IsAdmin, ct),
            await users.CountAsync(u => u.DisabledUtc != null, ct),
            await db.AccountDeletions.AsNoTracking().CountAsync(ct),
            await accounts.SumAsync(a => a.UsedBytes, ct),
            await accounts.SumAsync(a => a.HistoryBytes, ct),
            await accounts.SumAsync(a => a.DocumentCount, ct));
    }

    /// <summary>The <paramref name="count"/> users that store the most bytes of documents.</summary>
    public static Task<List<UsageShare>> TopUsersAsync(StorageDbContext db, int count, CancellationToken ct) =>
        db.Accounts.AsNoTracking()
            .Where(a => a.UsedBytes > 0)
            .OrderByDescending(a => a.UsedBytes).ThenBy(a => a.UserName)
            .Take(count)
            .Select(a => new UsageShare(a.UserName, a.UsedBytes, a.DocumentCount))
            .ToListAsync(ct);

    /// <summary>The <paramref name="count"/> modules with the most bytes over all users (<c>""</c>
    /// is the top level), and how many modules hold anything at all.</summary>
    public static async Task<(List<UsageShare> Top, int Modules)> TopModulesAsync(StorageDbContext db, int count, CancellationToken ct)
    {
        var modules = db.ModuleUsage.AsNoTracking()
            .GroupBy(m => m.Module)
            .Select(g => new { Module = g.Key, UsedBytes = g.Sum(m => m.UsedBytes), DocumentCount = g.Sum(m => m.DocumentCount) })
            .Where(m => m.DocumentCount > 0);
        var top = await modules
            .OrderByDescending(m => m.UsedBytes).ThenBy(m => m.Module)
            .Take(count)
            .ToListAsync(ct);
        return (top.Select(m => new UsageShare(m.Module, m.UsedBytes, m.DocumentCount)).ToList(), await modules.CountAsync(ct));
    }
}
