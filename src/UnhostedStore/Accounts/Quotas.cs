using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Configuration;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>
/// <c>Storage:DefaultQuotaBytes</c>: how many bytes of documents each user may store unless
/// the user has a quota of their own; a PUT that would pass it answers 507 (draft-26 §5) and
/// stores nothing. 0 means no limit. Retained versions (history and trash) count too, but give
/// way: a write that would pass the quota first purges the user's oldest history.
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Storage";

    public long DefaultQuotaBytes { get; set; }
}

public sealed class QuotaOptionsValidator : AbstractValidator<QuotaOptions>
{
    public QuotaOptionsValidator()
    {
        RuleFor(o => o.DefaultQuotaBytes).GreaterThanOrEqualTo(0).WithName("Storage:DefaultQuotaBytes");
    }
}

/// <summary>What one user has stored, and what they may store. <paramref name="HistoryBytes"/> are
/// the retained versions (history and trash), counted toward the quota on top of <paramref name="UsedBytes"/>.</summary>
public sealed record UsageSummary(long UsedBytes, long DocumentCount, long QuotaBytes, bool OwnQuota, IReadOnlyList<ModuleUsageRow> Modules, long HistoryBytes = 0);

/// <summary>One module's share of a user's storage; <c>""</c> is the top level.</summary>
public sealed record ModuleUsageRow(string Module, long UsedBytes, long DocumentCount);

/// <summary>
/// The quota rule, in one place: a user's own quota (<c>users set-quota</c>) when set, else the
/// default; 0 means no limit. Everything that shows or enforces a quota asks this.
/// </summary>
public sealed class Quotas(IOptions<QuotaOptions> options)
{
    public long DefaultBytes => options.Value.DefaultQuotaBytes;

    public long Effective(long? ownQuotaBytes) => ownQuotaBytes ?? options.Value.DefaultQuotaBytes;

    public const string OwnQuotaHint = "use e.g. 500M, 10G, 1T, a number of bytes, 'unlimited' or 'default'";

    /// <summary>A user's own quota as an admin types it: <c>default</c> (null: follow
    /// <c>Storage:DefaultQuotaBytes</c>), <c>unlimited</c> (0), or a size above 0 such as
    /// <c>500M</c>, <c>10G</c>, <c>1T</c> or a number of bytes.</summary>
    public static bool TryParseOwnQuota(string? text, out long? quotaBytes)
    {
        quotaBytes = null;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "default":
                return true;
            case "unlimited":
                quotaBytes = 0;
                return true;
            default:
                if (Sizes.TryParse(text, out var bytes) && bytes > 0)
                {
                    quotaBytes = bytes;
                    return true;
                }

                return false;
        }
    }

    /// <summary>Whether storing <paramref name="usedAfter"/> bytes in all breaks the quota. A write that
    /// shrinks usage is always allowed, so a user over a lowered quota can still clean up.</summary>
    public static bool Exceeded(long quotaBytes, long usedBefore, long usedAfter) =>
        quotaBytes > 0 && usedAfter > quotaBytes && usedAfter > usedBefore;

    /// <summary>The user's totals, effective quota and per-module usage, read without locking.</summary>
    public async Task<UsageSummary> UsageAsync(StorageDbContext db, string userName, CancellationToken ct)
    {
        var account = await db.Accounts.AsNoTracking().Where(a => a.UserName == userName)
            .Select(a => new { a.UsedBytes, a.DocumentCount, a.QuotaBytes, a.HistoryBytes }).FirstOrDefaultAsync(ct);
        var modules = (await db.ModuleUsage.AsNoTracking().Where(m => m.Owner == userName)
                .Select(m => new ModuleUsageRow(m.Module, m.UsedBytes, m.DocumentCount)).ToListAsync(ct))
            .OrderBy(m => m.Module, StringComparer.Ordinal)
            .ToList();
        return new UsageSummary(
            account?.UsedBytes ?? 0,
            account?.DocumentCount ?? 0,
            Effective(account?.QuotaBytes),
            account?.QuotaBytes is not null,
            modules,
            account?.HistoryBytes ?? 0);
    }
}
