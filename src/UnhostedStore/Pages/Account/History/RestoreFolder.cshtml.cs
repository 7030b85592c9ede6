using System.Globalization;
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
/// "Put this folder back as it was at a time": a form (the time in the browser's zone, whose
/// offset the page's script sends; UTC without it), a preview of what would change, and the
/// confirmation, which plans again for the same instant and carries it out. Documents it
/// deletes go to the trash and documents it sets back keep their replaced version, so the
/// restore itself can be undone.
/// </summary>
[Authorize]
public sealed class RestoreFolderModel(DocumentHistory history, IOptions<StorageOptions> options, TimeProvider clock, IStringLocalizer<HistoryPagesText> t, AuditTrail audit) : PageModel
{
    /// <summary>Changes listed per kind in the preview and the report; the rest are counted.</summary>
    public const int MaxListed = 100;

    /// <summary>UTC offsets beyond any time zone's (RFC 9557 allows up to ±23:59; zones stay within ±14:00).</summary>
    private const int MaxOffsetMinutes = 18 * 60;

    private static readonly string[] LocalFormats = ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF"];

    public int RetentionDays => options.Value.VersionRetentionDays;

    public DateTime NowUtc { get; } = clock.GetUtcNow().UtcDateTime;

    /// <summary>The form's values, as sent.</summary>
    public string? Folder { get; private set; }

    public string? AsOf { get; private set; }

    /// <summary>Minutes to add to UTC for the browser's local time; null when its script did not run.</summary>
    public int? Offset { get; private set; }

    public string? Zone { get; private set; }

    public StoragePath? FolderPath { get; private set; }

    public DateTime? AsOfUtc { get; private set; }

    public RestorePlan? Plan { get; private set; }

    public FolderRestoreReport? Report { get; private set; }

    public string? Error { get; private set; }

    public IEnumerable<RestoreChange> Changes(RestoreAction action) => Plan!.Changes.Where(c => c.Action == action);

    /// <summary>How the chosen time reads back: local as typed with its zone, and in UTC.</summary>
    public string DescribeAsOf()
    {
        var utc = HistoryText.Exact(AsOfUtc!.Value);
        if (Offset is not { } offset)
        {
            return t["Restore_AsOfUtc", utc];
        }

        var local = AsOfUtc.Value.AddMinutes(offset).ToString(t["Restore_LocalFormat"], CultureInfo.CurrentCulture);
        var sign = offset < 0 ? "−" : "+";
        var zone = (Zone is { Length: > 0 } z ? z + ", " : string.Empty) + "UTC" + sign + TimeSpan.FromMinutes(Math.Abs(offset)).ToString(@"hh\:mm", CultureInfo.InvariantCulture);
        return t["Restore_AsOfLocal", local, zone, utc];
    }

    public async Task<IActionResult> OnGetAsync(string? path, string? asOf, string? offset, string? zone, CancellationToken ct)
    {
        Folder = path;
        AsOf = asOf;
        Zone = zone is { Length: <= 64 } ? zone : null;
        if (path is null && asOf is null)
        {
            return Page();
        }

        if (RetentionDays == 0)
        {
            Error = t["Restore_HistoryOffError"];
            return Page();
        }

        if (!HistoryText.TryParsePath(path, folder: true, out var folder, out var pathError))
        {
            return Invalid(pathError!);
        }

        FolderPath = folder;
        Folder = folder!.Value;
        if (string.IsNullOrWhiteSpace(asOf))
        {
            // Only the folder was given (a link from a document's history): the form, filled in.
            return Page();
        }

        if (!DateTime.TryParseExact(asOf, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return Invalid(t["Restore_ChooseTime"]);
        }

        if (!string.IsNullOrEmpty(offset))
        {
            if (!int.TryParse(offset, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var minutes) || Math.Abs(minutes) > MaxOffsetMinutes)
            {
                return Invalid(t["Restore_BadZone"]);
            }

            Offset = minutes;
        }

        var utc = DateTime.SpecifyKind(local.AddMinutes(-(Offset ?? 0)), DateTimeKind.Utc);
        AsOfUtc = utc;
        if (TimeProblem(utc) is { } problem)
        {
            return Invalid(problem);
        }

        Plan = await history.PlanFolderRestoreAsync(Owner, folder, utc, ct);
        if (Plan.Changes.Count == 0)
        {
            Error = t["Restore_NothingFound", folder.Value];
            Plan = null;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? path, [FromForm] string? asOfUtc, [FromForm] string? offset, [FromForm] string? zone, CancellationToken ct)
    {
        Folder = path;
        Zone = zone is { Length: <= 64 } ? zone : null;
        Offset = int.TryParse(offset, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var minutes) && Math.Abs(minutes) <= MaxOffsetMinutes ? minutes : null;
        if (!HistoryText.TryParsePath(path, folder: true, out var folder, out var pathError))
        {
            return Invalid(pathError!);
        }

        FolderPath = folder;
        if (!DateTime.TryParse(asOfUtc, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc))
        {
            return Invalid(t["Restore_ChooseTime"]);
        }

        AsOfUtc = utc;
        AsOf = utc.AddMinutes(Offset ?? 0).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        if (TimeProblem(utc) is { } problem)
        {
            return Invalid(problem);
        }

        // Planned again for the same instant: what changed since the preview is taken into
        // account, and a document changed meanwhile is reported, never overwritten.
        Report = await history.RestoreFolderAsync(Owner, folder!, utc, HistoryLabels.AccountPage, progress: null, ct);
        await audit.RecordAsync(
            AuditKind.HistoryRestored,
            Owner,
            AuditActor.Person(HttpContext, Owner),
            $"{folder!.Value} as it was at {HistoryText.Exact(utc)}: {Report.Restored} restored, {Report.Deleted} deleted, {Report.Failed.Count} failed.");
        return Page();
    }

    private string? TimeProblem(DateTime utc)
    {
        if (utc > NowUtc)
        {
            return t["Restore_Future"];
        }

        var oldest = NowUtc.AddDays(-RetentionDays);
        return utc < oldest
            ? t["Restore_TooOld", Words.Count(RetentionDays, "Day"), HistoryText.Exact(oldest)].Value
            : null;
    }

    private PageResult Invalid(string error)
    {
        Error = error;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private string Owner => User.Identity!.Name!;
}
