using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Health;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

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
        ModuleBars = modules.Select(m => Bar(m with { Name = m.Name.Length == 0 ? Words.Of<AccountText>()["Home_TopLevel"] : m.Name })).ToList();
        ModuleCount = count;
        Signup = await signup.GetAsync(ct);
        RequireTwoFactor = await policy.RequireTwoFactorAsync(ct);

        var report = await health.CheckHealthAsync(check => check.Tags.Contains(HealthEndpoints.ReadyTag), ct);
        Health =
        [
            Row(report, "database", "Health_Database"),
            Row(report, "blobs", "Health_Blobs"),
        ];
    }

    private static ChartBar Bar(UsageShare share) =>
        new(share.Name, share.UsedBytes, Words.Size(share.UsedBytes) + ", " + Words.Count(share.DocumentCount, "Document"));

    /// <summary>A check's row: <paramref name="text"/> names the keys <c>{text}</c> (its name),
    /// <c>{text}_Up</c> and <c>{text}_Down</c> of <see cref="AdminText"/>.</summary>
    private static HealthRow Row(HealthReport report, string key, string text)
    {
        var healthy = report.Entries.TryGetValue(key, out var entry) && entry.Status == HealthStatus.Healthy;
        var words = AdminWords.Text;
        return new HealthRow("health-" + key, words[text], healthy, words[healthy ? text + "_Up" : text + "_Down"]);
    }
}
