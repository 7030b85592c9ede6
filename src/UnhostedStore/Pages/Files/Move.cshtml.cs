using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.Pages.Text;
using UnhostedStore.Storage;
using UnhostedStore.Storage.Moving;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// Rename or move a document or a folder in one's own storage (<see cref="Moves"/>). The
/// handler, <c>POST /files/move</c> with <c>from</c> and <c>to</c> (paths as shown, a folder
/// ending in <c>/</c>) plus the antiforgery token, is what the Files page's buttons post to;
/// this page's own form makes it usable alone. It answers with a redirect to the folder the
/// moved item is in now (its message in <c>TempData["Message"]</c>, which the folder shows), or JSON for a caller that
/// sends <c>Accept: application/json</c>; a refusal is this page with the reason (or JSON).
/// </summary>
[Authorize]
public sealed class MoveModel(Moves moves, IStringLocalizer<FilesText> t) : PageModel
{
    public const string PagePath = "/files/move";

    /// <summary>Who moved, as the documents' history shows it.</summary>
    public const string Label = FilePaths.AppLabel;

    public string From { get; private set; } = string.Empty;

    public string To { get; private set; } = string.Empty;

    public string? Error { get; private set; }

    [TempData]
    public string? Message { get; set; }

    private string Owner => User.Identity!.Name!;

    /// <summary>This page with its form filled in for <paramref name="path"/>.</summary>
    public static string Link(StoragePath path) => PagePath + "?from=" + FilePaths.Encode(path);

    /// <summary>Where "back" goes: the folder the typed source is in, or all files.</summary>
    public string BackUrl => TypedPaths.Parse(From, out _) is { IsRoot: false } source ? FilePaths.Browse(source.Parent!) : FilePaths.Home;

    /// <summary>A page may link here with <c>?from=</c> (and <c>&amp;to=</c>) to fill in the form.</summary>
    public void OnGet([FromQuery] string? from, [FromQuery] string? to)
    {
        From = from ?? string.Empty;
        To = to ?? from ?? string.Empty;
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? from, [FromForm] string? to)
    {
        From = from ?? string.Empty;
        To = to ?? string.Empty;
        var source = TypedPaths.Parse(from, out var fromError);
        if (source is null)
        {
            return Refuse(StatusCodes.Status400BadRequest, t["Move_FromError", fromError!], null);
        }

        // A folder's new name typed without its trailing slash is still a folder.
        var typedTo = source.IsFolder && to is { Length: > 0 } && !to.TrimEnd().EndsWith('/') ? to.TrimEnd() + "/" : to;
        var target = TypedPaths.Parse(typedTo, out var toError);
        if (target is null)
        {
            return Refuse(StatusCodes.Status400BadRequest, t["Move_ToError", toError!], null);
        }

        // Once started, the move runs to its end whatever the browser does: each transaction is
        // whole, but stopping between two would leave the folder half moved for no reason.
        var report = await moves.MoveAsync(Owner, source, target, Label, null, CancellationToken.None);
        if (report.Failed is { } failed)
        {
            var status = failed.Problem switch
            {
                MoveProblem.Invalid => StatusCodes.Status400BadRequest,
                MoveProblem.NotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status409Conflict,
            };
            var text = report.Moved == 0
                ? failed.Reason
                : t["Move_Stopped", Words.Number(report.Moved), Words.Number(report.Total), failed.Reason, report.From.Value].Value;
            return Refuse(status, text, report);
        }

        var message = Done(report, t);
        var location = FilePaths.Browse(report.DestinationFolder);
        if (WantsJson())
        {
            return new JsonResult(new
            {
                moved = report.Moved,
                from = report.From.Value,
                to = report.To.Value,
                folder = report.DestinationFolder.Value,
                location,
                visibility = Visibility(report.Visibility),
                message,
            });
        }

        Message = message;
        return Redirect(location);
    }

    /// <summary>What a finished move did, in words.</summary>
    public static string Done(MoveReport report, IStringLocalizer<FilesText> t)
    {
        var what = report.From.IsFolder
            ? t["Move_DoneFolder", report.From.Value, report.To.Value, Words.Count(report.Moved, "Document")]
            : t["Move_DoneDocument", report.From.Value, report.To.Value];
        var folder = report.From.IsFolder ? "Folder" : "Document";
        return report.Visibility switch
        {
            VisibilityChange.BecomesPublic => what + " " + t["Move_Public" + folder],
            VisibilityChange.BecomesPrivate => what + " " + t["Move_Private" + folder],
            _ => what,
        };
    }

    private static string? Visibility(VisibilityChange change) => change switch
    {
        VisibilityChange.BecomesPublic => "public",
        VisibilityChange.BecomesPrivate => "private",
        _ => null,
    };

    private IActionResult Refuse(int status, string message, MoveReport? report)
    {
        if (WantsJson())
        {
            return new JsonResult(new
            {
                error = message,
                moved = report?.Moved ?? 0,
                total = report?.Total ?? 0,
                failed = report?.Failed is { } f ? new { source = f.Source.Value, destination = f.Destination.Value, reason = f.Reason } : null,
            })
            { StatusCode = status };
        }

        Error = message;
        Response.StatusCode = status;
        return Page();
    }

    private bool WantsJson() =>
        Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
}
