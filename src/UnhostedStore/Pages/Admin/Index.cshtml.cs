using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Health;
using UnhostedStore.Persistence;
using static UnhostedStore.Pages.Account.IndexModel;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// The admin overview: how many accounts and how much is stored, where the storage goes (the
/// users and the modules that hold the most, as charts), whether the database and the blob store
/// answer (the same checks as <c>/readyz</c>), and the server settings in force.
/// </summary>
public sealed class IndexModel(StorageDbContext db, HealthCheckService health, SignupSettings signup, LoginPolicy policy) : PageModel
{
    public const int TopCount = 10;

    public sealed record HealthRow(string Id, string Name, bool Healthy, string Text);

    public StoreTotals Totals { get; private set; } = new(0, 0, 0, 0, 0, 0, 0);

    public IReadOnlyList<ChartBar> UserBars { get; private set; } = [];

    public IReadOnlyList<ChartBar> ModuleBars { get; private set; } = [];

    /// <summary>How many modules hold anything, of which <see cref="ModuleBars"/> are the largest.</summary>
    public int ModuleCount { get; private set; }

    public IReadOnlyList<HealthRow> Health { get; private set; } = [];

    public SignupPolicy Signup { get; private set; }

    public bool RequireTwoFactor { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Totals = await StoreStatistics.TotalsAsync(db, ct);
        UserBars = (await StoreStatistics.TopUsersAsync(db, TopCount, ct)).Select(Bar).ToList();
        var (modules, count) = await StoreStatistics.TopModulesAsync(db, TopCount, ct);
        ModuleBars = modules.Select(m => Bar(m with { Name = m.Name.Length == 0 ? "(top level)" : m.Name })).ToList();
        ModuleCount = count;
        Signup = await signup.GetAsync(ct);
        RequireTwoFactor = await policy.RequireTwoFactorAsync(ct);

        var report = await health.CheckHealthAsync(check => check.Tags.Contains(HealthEndpoints.ReadyTag), ct);
        Health =
        [
            Row(report, "database", "Database", "The database answers.", "The database does not answer. Storage, logins and apps fail until it does."),
            Row(report, "blobs", "Blob store", "The blob store answers.", "The blob store does not answer. Documents can't be read or written until it does."),
        ];
    }

    private static ChartBar Bar(UsageShare share) =>
        new(share.Name, share.UsedBytes, Size(share.UsedBytes) + ", " + Count(share.DocumentCount, "document", "documents"));

    private static HealthRow Row(HealthReport report, string key, string name, string good, string bad)
    {
        var healthy = report.Entries.TryGetValue(key, out var entry) && entry.Status == HealthStatus.Healthy;
        return new HealthRow("health-" + key, name, healthy, healthy ? good : bad);
    }
}
