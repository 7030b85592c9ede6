using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>One account as the admin pages and <c>users list</c> show it. <paramref name="OwnQuotaBytes"/>
/// is null when the account follows the default; <paramref name="QuotaBytes"/> is the quota in
/// force (0: no limit).</summary>
public sealed record AccountListing(
    string UserName,
    bool IsAdmin,
    DateTime CreatedUtc,
    DateTime? LastLoginUtc,
    AccountState State,
    long UsedBytes,
    long DocumentCount,
    long HistoryBytes,
    long? OwnQuotaBytes,
    long QuotaBytes);

/// <summary>One page of accounts; <paramref name="Page"/> counts from 1.</summary>
public sealed record AccountPage(IReadOnlyList<AccountListing> Rows, int Total, int Page, int PageSize)
{
    public int Pages => PagesFor(Total, PageSize);

    public static int PagesFor(int total, int pageSize) => total <= 0 ? 1 : ((total - 1) / pageSize) + 1;
}

/// <summary>Accounts with their state, storage use and quota, by name: one query per page.</summary>
public sealed class AccountDirectory(StorageDbContext db, Quotas quotas)
{
    public const int MaxSearchLength = UserName.MaxLength;

    /// <summary>Accounts whose name contains <paramref name="search"/> (all when empty), ordered by
    /// name; a page past the end shows the last one.</summary>
    public async Task<AccountPage> ListAsync(string? search, int page, int pageSize, CancellationToken ct)
    {
        var users = db.Users.AsNoTracking();
        var term = search?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(term))
        {
            term = term[..Math.Min(term.Length, MaxSearchLength)];
            users = users.Where(u => u.UserName!.Contains(term));
        }

        var total = await users.CountAsync(ct);
        var pages = AccountPage.PagesFor(total, pageSize);
        page = Math.Clamp(page, 1, pages);
        return new AccountPage(await QueryAsync(users, (page - 1) * pageSize, pageSize, ct), total, page, pageSize);
    }

    /// <summary>One account, or null when there is none of that name.</summary>
    public async Task<AccountListing?> FindAsync(string userName, CancellationToken ct) =>
        UserName.IsValidAccountName(userName)
            ? (await QueryAsync(db.Users.AsNoTracking().Where(u => u.UserName == userName), 0, 1, ct)).FirstOrDefault()
            : null;

    private async Task<List<AccountListing>> QueryAsync(IQueryable<UserAccount> users, int skip, int take, CancellationToken ct)
    {
        var rows = await (
                from u in users
                join a in db.Accounts.AsNoTracking() on u.UserName equals a.UserName into stored
                from a in stored.DefaultIfEmpty()
                orderby u.UserName
                select new
                {
                    UserName = u.UserName!,
                    u.IsAdmin,
                    u.CreatedUtc,
                    u.LastLoginUtc,
                    u.DisabledUtc,
                    Leaving = db.AccountDeletions.Any(d => d.UserName == u.UserName),
                    UsedBytes = a == null ? 0 : a.UsedBytes,
                    DocumentCount = a == null ? 0 : a.DocumentCount,
                    HistoryBytes = a == null ? 0 : a.HistoryBytes,
                    QuotaBytes = a == null ? null : a.QuotaBytes,
                })
            .Skip(skip)
            .Take(take)
            .ToListAsync(ct);
        return rows
            .Select(r => new AccountListing(
                r.UserName,
                r.IsAdmin,
                r.CreatedUtc,
                r.LastLoginUtc,
                AccountStates.Of(r.DisabledUtc, r.Leaving),
                r.UsedBytes,
                r.DocumentCount,
                r.HistoryBytes,
                r.QuotaBytes,
                quotas.Effective(r.QuotaBytes)))
            .ToList();
    }
}
