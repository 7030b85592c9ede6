using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Net.Http.Headers;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Pages.Account.History;

/// <summary>
/// One document's history: the current version and every kept one, each to download, restore,
/// or (text and JSON) compare with the current one line by line. Downloads are attachments
/// under a sandboxing CSP, so stored bytes never run as a page of this origin.
/// </summary>
[Authorize]
public sealed class VersionsModel(DocumentHistory history, DocumentReads reads, TimeProvider clock, IStringLocalizer<HistoryPagesText> t, AuditTrail audit) : PageModel
{
    /// <summary>Unchanged lines shown around each change.</summary>
    public const int ContextLines = 3;

    /// <summary>Rows of a comparison shown at most.</summary>
    public const int MaxRows = 3000;

    /// <summary>A comparison of a kept version with the current one; <see cref="Problem"/> says
    /// in words why there is none.</summary>
    public sealed record Comparison(VersionInfo Older, LineDiffResult? Diff, IReadOnlyList<DiffRow> Rows, bool Json, string? Problem);

    public DateTime NowUtc { get; } = clock.GetUtcNow().UtcDateTime;

    public StoragePath? DocumentPath { get; private set; }

    /// <summary>What was typed or linked, to show back in the form.</summary>
    public string? Typed { get; private set; }

    public DocumentVersionList? Versions { get; private set; }

    public Comparison? Compare { get; private set; }

    public string? Error { get; private set; }

    [TempData]
    public string? Message { get; set; }

    public static string Link(StoragePath path) => "/account/history/document?path=" + Uri.EscapeDataString(path.Value);

    public static string DownloadLink(StoragePath path, long? id) =>
        "/account/history/document?handler=download&path=" + Uri.EscapeDataString(path.Value) + (id is { } v ? "&id=" + v : string.Empty);

    public static string CompareLink(StoragePath path, long id) => Link(path) + "&compare=" + id + "#comparison";

    /// <summary>Whether a kept version can be compared with the current one: both text or JSON
    /// by type, and both small enough.</summary>
    public bool CanCompare(VersionInfo version) =>
        Versions?.Current is { } current && version.Id is not null
        && HistoryText.IsTextType(version.ContentType) && HistoryText.IsTextType(current.ContentType)
        && version.ContentLength <= HistoryText.CompareMaxBytes && current.ContentLength <= HistoryText.CompareMaxBytes;

    public async Task<IActionResult> OnGetAsync(string? path, long? compare, CancellationToken ct)
    {
        Typed = path;
        if (path is null)
        {
            return Page();
        }

        if (!HistoryText.TryParsePath(path, folder: false, out var document, out var error))
        {
            Error = error;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        DocumentPath = document;
        Versions = await history.ListVersionsAsync(Owner, document!, ct);
        if (Versions.Current is null && Versions.Retained.Count == 0)
        {
            Error = t["Versions_NothingFound", document!.Value];
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        if (compare is { } id)
        {
            var older = Versions.Retained.FirstOrDefault(v => v.Id == id);
            if (older is null)
            {
                // Another person's version, or one of another document: not found, as any unknown id.
                return NotFound();
            }

            Compare = await CompareAsync(document!, older, ct);
        }

        return Page();
    }

    public async Task<IActionResult> OnGetDownloadAsync(string? path, long? id, CancellationToken ct)
    {
        Stream content;
        string contentType;
        StoragePath document;
        if (id is { } versionId)
        {
            var version = await history.OpenVersionAsync(Owner, versionId, ct);
            if (version is null)
            {
                return NotFound();
            }

            (content, contentType, document) = (version.Content, version.ContentType, version.Path);
        }
        else
        {
            if (!HistoryText.TryParsePath(path, folder: false, out var current, out _)
                || await reads.GetDocumentAsync(Owner, current!, RequestConditions.None, null, openBody: true, ct) is not StorageOutcome.DocumentFound found)
            {
                return NotFound();
            }

            (content, contentType, document) = (found.Body!, found.Document.ContentType, current!);
        }

        // Stored bytes are the owner's data, not our pages: an attachment, typed as stored but
        // never sniffed, and sandboxed should a browser show it anyway.
        SecurityHeadersMiddleware.Sandbox(HttpContext);
        Response.Headers.XContentTypeOptions = "nosniff";
        Response.Headers.CacheControl = "private, no-store";
        var type = MediaTypeHeaderValue.TryParse(contentType, out _) ? contentType : "application/octet-stream";
        return File(content, type, document.Name);
    }

    public async Task<IActionResult> OnPostRestoreAsync([FromForm] long id, [FromForm] string? path, CancellationToken ct)
    {
        var outcome = await history.RestoreVersionAsync(Owner, id, HistoryLabels.AccountPage, ct);
        if (outcome.Status == RestoreStatus.Restored)
        {
            await audit.RecordAsync(AuditKind.HistoryRestored, Owner, AuditActor.Person(HttpContext, Owner), $"{outcome.Path!.Value}: an earlier version, on the history page.");
            Message = t["Versions_Restored"];
            return Redirect(Link(outcome.Path!));
        }

        if (outcome.Status == RestoreStatus.NotFound)
        {
            Error = outcome.Reason;
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        DocumentPath = outcome.Path;
        Versions = await history.ListVersionsAsync(Owner, outcome.Path!, ct);
        Error = t["Versions_NotRestored", outcome.Reason ?? string.Empty];
        Response.StatusCode = StatusCodes.Status409Conflict;
        return Page();
    }

    private string Owner => User.Identity!.Name!;

    private async Task<Comparison> CompareAsync(StoragePath document, VersionInfo older, CancellationToken ct)
    {
        if (!CanCompare(older))
        {
            var why = Versions!.Current is null
                ? t["Compare_NoCurrent"]
                : t["Compare_TooBig", Words.Size(HistoryText.CompareMaxBytes)];
            return new Comparison(older, null, [], false, why);
        }

        var version = await history.OpenVersionAsync(Owner, older.Id!.Value, ct);
        if (version is null)
        {
            return new Comparison(older, null, [], false, t["Compare_NotKept"]);
        }

        byte[] before;
        await using (version)
        {
            before = await ReadAllAsync(version.Content, ct);
        }

        if (await reads.GetDocumentAsync(Owner, document, RequestConditions.None, null, openBody: true, ct) is not StorageOutcome.DocumentFound found)
        {
            return new Comparison(older, null, [], false, t["Compare_DeletedMeanwhile"]);
        }

        byte[] now;
        await using (found.Body)
        {
            now = await ReadAllAsync(found.Body!, ct);
        }

        var oldText = HistoryText.Decode(before, older.ContentType);
        var newText = HistoryText.Decode(now, found.Document.ContentType);
        if (oldText is null || newText is null)
        {
            return new Comparison(older, null, [], false, t["Compare_Binary"]);
        }

        var json = HistoryText.IsJson(older.ContentType) || HistoryText.IsJson(found.Document.ContentType);
        if (json)
        {
            (oldText, newText) = (HistoryText.PrettyJson(oldText), HistoryText.PrettyJson(newText));
        }

        var diff = LineDiff.Compare(oldText, newText);
        return new Comparison(older, diff, LineDiff.Collapse(diff.Lines, ContextLines), json, null);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        // The lengths were checked against the cap; a longer stream is cut, never read whole.
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0 && buffer.Length <= HistoryText.CompareMaxBytes)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
