using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.DataFreedom.Export;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>Take your data out: what the zip holds, the whole storage or one module, and the
/// download (<see cref="ExportEndpoints"/>).</summary>
[Authorize]
public sealed class ExportModel(StorageDbContext db, Quotas quotas) : PageModel
{
    public sealed record ModuleChoice(string Module, long UsedBytes, long DocumentCount);

    public string ZipPath => ExportEndpoints.ZipPath;

    public long UsedBytes { get; private set; }

    public long DocumentCount { get; private set; }

    /// <summary>Modules the person can export on their own; documents at the top level (in no
    /// module) come with the whole storage only.</summary>
    public IReadOnlyList<ModuleChoice> Modules { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var summary = await quotas.UsageAsync(db, User.Identity!.Name!, ct);
        UsedBytes = summary.UsedBytes;
        DocumentCount = summary.DocumentCount;
        Modules = summary.Modules
            .Where(m => m.DocumentCount > 0 && ExportModules.Problem(m.Module) is null)
            .Select(m => new ModuleChoice(m.Module, m.UsedBytes, m.DocumentCount))
            .ToList();
    }
}
