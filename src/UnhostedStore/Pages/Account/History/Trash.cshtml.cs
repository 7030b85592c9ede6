using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Pages.Account.History;

/// <summary>
/// The trash: documents apps deleted, kept for <c>Storage:VersionRetentionDays</c>, by module
/// and folder, each to restore or delete for good (after a confirmation). Everything is the
/// logged-in person's own: <see cref="DocumentHistory"/> scopes every read and write by owner,
/// so another person's version id is simply not found (404).
/// </summary>
[Authorize]
public sealed class TrashModel(DocumentHistory history, IOptions<StorageOptions> options, TimeProvider clock, IStringLocalizer<HistoryPagesText> t, AuditTrail audit) : PageModel
{
    /// <summary>Items listed at most; the module links narrow a larger trash down.</summary>
    public const int MaxShown = 500;

    /// <summary>The <c>module</c> query value of documents outside any module (no module is named "/").</summary>
    public const string TopLevel = "/";

    public sealed record FolderGroup(StoragePath Folder, IReadOnlyList<TrashItem> Items);

    public sealed record ModuleGroup(string Module, IReadOnlyList<FolderGroup> Folders)
    {
        public string Label => TrashModel.Label(Module);
    }

    public sealed record ModuleLink(string Module, int Count)
    {
        public string Label => TrashModel.Label(Module);

        public string Query => Module.Length == 0 ? TopLevel : Module;
    }

    public int RetentionDays => options.Value.VersionRetentionDays;

    public DateTime NowUtc { get; } = clock.GetUtcNow().UtcDateTime;

    public IReadOnlyList<ModuleLink> Modules { get; private set; } = [];

    /// <summary>The module shown (<c>""</c> for the top level), or null for all.</summary>
    public string? Module { get; private set; }

    public IReadOnlyList<ModuleGroup> Groups { get; private set; } = [];

    /// <summary>Items in the trash (of the module shown).</summary>
    public int Total { get; private set; }

    public int Shown { get; private set; }

    /// <summary>The item whose "delete for good" waits for confirmation.</summary>
    public TrashItem? Confirm { get; private set; }

    /// <summary>How many versions of <see cref="Confirm"/>'s path delete for good removes.</summary>
    public int ConfirmVersions { get; private set; }

    public string? Error { get; private set; }

    [TempData]
    public string? Message { get; set; }

    public static string Label(string module) => module.Length == 0 ? Words.Of<HistoryPagesText>()["Trash_TopLevel"] : module;

    /// <summary>A document's history page.</summary>
    public static string HistoryLink(StoragePath path) => "/account/history/document?path=" + Uri.EscapeDataString(path.Value);

    public async Task<IActionResult> OnGetAsync(string? module, string? forget, CancellationToken ct)
    {
        await ShowAsync(module, ct);
        if (forget is not null)
        {
            if (!HistoryText.TryParsePath(forget, folder: false, out var path, out var error))
            {
                Error = error;
                return Page();
            }

            Confirm = (await history.ListTrashAsync(Owner, path!.Parent!, ct)).FirstOrDefault(t => t.Path.Equals(path));
            if (Confirm is null)
            {
                Error = t["Trash_NotInTrash", path.Value];
                Response.StatusCode = StatusCodes.Status404NotFound;
                return Page();
            }

            ConfirmVersions = (await history.ListVersionsAsync(Owner, path, ct)).Retained.Count;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostRestoreAsync([FromForm] long id, [FromForm] string? module, CancellationToken ct)
    {
        var outcome = await history.RestoreVersionAsync(Owner, id, HistoryLabels.AccountPage, ct);
        if (outcome.Status == RestoreStatus.Restored)
        {
            await audit.RecordAsync(AuditKind.HistoryRestored, Owner, AuditActor.Person(HttpContext, Owner), $"{outcome.Path!.Value}: out of the trash.");
            Message = t["Trash_Restored", outcome.Path!.Value];
            return RedirectToPage(new { module });
        }

        await ShowAsync(module, ct);
        Error = outcome.Path is { } path ? t["Trash_NotRestored", path.Value, outcome.Reason ?? string.Empty] : outcome.Reason;
        Response.StatusCode = outcome.Status == RestoreStatus.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict;
        return Page();
    }

    public async Task<IActionResult> OnPostForgetAsync([FromForm] string? path, [FromForm] string? module, CancellationToken ct)
    {
        if (!HistoryText.TryParsePath(path, folder: false, out var document, out var error))
        {
            await ShowAsync(module, ct);
            Error = error;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var removed = await history.DeleteForGoodAsync(Owner, document!, ct);
        if (removed.Versions > 0)
        {
            await audit.RecordAsync(AuditKind.HistoryPurged, Owner, AuditActor.Person(HttpContext, Owner), $"{document!.Value}: {IndexModel.Count(removed.Versions, "version", "versions")}, {IndexModel.Size(removed.Bytes)}, from the trash.");
        }

        Message = removed.Versions == 0
            ? t["Trash_NothingForgotten", document!.Value]
            : t["Trash_Forgotten", document!.Value, Words.Count(removed.Versions, "Version"), Words.Size(removed.Bytes)];
        return RedirectToPage(new { module });
    }

    private string Owner => User.Identity!.Name!;

    private async Task ShowAsync(string? module, CancellationToken ct)
    {
        // With history turned off the trash from before is still listed, until it expires.
        var all = await history.ListTrashAsync(Owner, StoragePath.Root, ct);
        Modules = all.GroupBy(t => t.Module, StringComparer.Ordinal)
            .Select(g => new ModuleLink(g.Key, g.Count()))
            .OrderBy(m => m.Module.Length == 0 ? 1 : 0).ThenBy(m => m.Module, StringComparer.Ordinal)
            .ToList();
        Module = module switch
        {
            null or "" => null,
            TopLevel => string.Empty,
            _ => module,
        };
        var items = Module is null ? all : all.Where(t => string.Equals(t.Module, Module, StringComparison.Ordinal)).ToList();
        Total = items.Count;
        var shown = items.Take(MaxShown).ToList();
        Shown = shown.Count;

        // Modules and folders in path order; within a folder, the latest deletion first.
        Groups = shown.GroupBy(t => t.Module, StringComparer.Ordinal)
            .OrderBy(g => g.Key.Length == 0 ? 1 : 0).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ModuleGroup(
                g.Key,
                g.GroupBy(t => t.Folder.Value, StringComparer.Ordinal)
                    .OrderBy(f => f.Key, StringComparer.Ordinal)
                    .Select(f => new FolderGroup(StoragePath.FromStored(f.Key), f.OrderByDescending(t => t.DeletedUtc).ToList()))
                    .ToList()))
            .ToList();
    }
}
