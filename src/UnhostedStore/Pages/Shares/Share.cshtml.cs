using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.AbuseLimits;
using UnhostedStore.DataFreedom.Export;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Previews;
using UnhostedStore.Sharing;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Shares;

/// <summary>
/// What anyone with a share URL sees, without an account: <c>/s/&lt;token&gt;[/&lt;sub-path&gt;]</c>
/// shows a document's preview or a folder's gallery, playlist and list; the handlers
/// <c>?handler=raw</c> (the bytes, with ranges), <c>thumb</c> (a thumbnail) and <c>zip</c>
/// (a folder as a zip) serve the rest, and <c>password</c> takes a link's password. Every
/// request passes <see cref="ShareAccess"/> first.
/// </summary>
[AllowAnonymous]
public sealed class ShareModel(
    ShareAccess access,
    ShareLinks links,
    ShareLimits limits,
    SharePasswordCookies cookies,
    DocumentReads reads,
    HotReads hot,
    IStringLocalizer<ShareText> t,
    ILogger<ShareModel> logger) : PageModel
{
    /// <summary>Most items a folder page lists; the zip has them all.</summary>
    public const int MaxItems = 2000;

    public ShareView Shows { get; private set; }

    public ShareState GoneState { get; private set; }

    public string? PasswordError { get; private set; }

    public string Title { get; private set; } = Words.Of<ShareText>()["Title_SharedWithYou"];

    public IReadOnlyList<ShareCrumb> Crumbs { get; private set; } = [];

    public ShareCrumbTrail CrumbTrail => new(Crumbs, Shows == ShareView.Folder);

    public ShareItem? Document { get; private set; }

    public TextPreview? Text { get; private set; }

    public IReadOnlyList<ShareItem> Folders { get; private set; } = [];

    public IReadOnlyList<ShareItem> Images { get; private set; } = [];

    public IReadOnlyList<ShareItem> Audio { get; private set; } = [];

    public IReadOnlyList<ShareItem> Others { get; private set; } = [];

    public bool Truncated { get; private set; }

    public string? ZipUrl { get; private set; }

    /// <summary>Where the password form posts: this very address, as it was sent.</summary>
    public string PasswordAction => PathOnly() + "?handler=password";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        NoStore();
        var resolution = await access.ResolveAsync(HttpContext, ct);
        if (resolution is not ShareResolution.Granted granted)
        {
            return Denied(resolution);
        }

        var (link, token, root, path) = (granted.Link, granted.Token, granted.Root, granted.Path);
        Crumbs = ShareItems.Crumbs(token, root, path);
        if (path.IsDocument)
        {
            var outcome = await reads.GetDocumentAsync(link.Owner, path, RequestConditions.None, null, openBody: false, ct, byOwner: false);
            if (outcome is not StorageOutcome.DocumentFound found)
            {
                // A folder of that name: show it at its folder address.
                if (!root.Equals(path) && await IsFolderAsync(link.Owner, path.AsOtherKind(), ct))
                {
                    return Redirect(SharePaths.Url(token, root, path.AsOtherKind()));
                }

                return Missing();
            }

            Document = ShareItems.Of(token, root, path, found.Document.ContentType, found.Document.ContentLength, found.Document.LastModifiedUtc);
            Title = Document.Name;
            if (Document.Kind is PreviewKind.Text or PreviewKind.Json)
            {
                Text = await ReadTextAsync(link.Owner, path, ct);
            }

            Shows = ShareView.Document;
        }
        else
        {
            var rows = await hot.ListFolderAsync(link.Owner, path.Value, string.Empty, string.Empty, ct);
            if (!path.Equals(root) && rows.Count == 0)
            {
                return Missing();
            }

            Title = path.IsRoot ? t["Crumbs_SharedFolder"] : path.Name.TrimEnd('/');
            ZipUrl = SharePaths.Url(token, root, path) + "?handler=zip";
            Fill(token, root, path, rows);
            Shows = ShareView.Folder;
        }

        if (!HttpMethods.IsHead(Request.Method))
        {
            await links.RecordOpenAsync(link.Id, ct);
        }

        return Page();
    }

    /// <summary>The password form of a link that has one.</summary>
    public async Task<IActionResult> OnPostPasswordAsync([FromForm] string? password, CancellationToken ct)
    {
        NoStore();
        var resolution = await access.ResolveAsync(HttpContext, ct);
        if (resolution is ShareResolution.Granted)
        {
            return Redirect(PathOnly());
        }

        if (resolution is not ShareResolution.PasswordNeeded needed)
        {
            return Denied(resolution);
        }

        Shows = ShareView.Password;
        if (limits.FailedPasswords.Check(HttpContext) is { } wait)
        {
            var seconds = FailureThrottle.RetryAfterSeconds(wait);
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = seconds;
            PasswordError = t["Password_TooMany", seconds];
            return Page();
        }

        if (string.IsNullOrEmpty(password) || !ShareLinks.VerifyPassword(needed.Link, password))
        {
            limits.FailedPasswords.Record(HttpContext);
            Response.StatusCode = StatusCodes.Status403Forbidden;
            PasswordError = t["Password_Wrong"];
            return Page();
        }

        cookies.Issue(HttpContext, needed.Link, needed.Token);
        return Redirect(PathOnly());
    }

    /// <summary>The document's bytes: ranges, conditions, and never active in our origin (<see cref="SafeBytes"/>).</summary>
    public async Task<IActionResult> OnGetRawAsync(CancellationToken ct)
    {
        var resolution = await access.ResolveAsync(HttpContext, ct);
        if (resolution is not ShareResolution.Granted { Path.IsDocument: true } granted)
        {
            return await PlainDeniedAsync(resolution);
        }

        await SafeBytes.ServeAsync(HttpContext, reads, granted.Link.Owner, granted.Path, byOwner: false);
        return new EmptyResult();
    }

    /// <summary>A thumbnail of an image, or the picture icon when there can be none.</summary>
    public async Task<IActionResult> OnGetThumbAsync([FromServices] Thumbnails thumbnails, CancellationToken ct)
    {
        var resolution = await access.ResolveAsync(HttpContext, ct);
        if (resolution is not ShareResolution.Granted { Path.IsDocument: true } granted)
        {
            return await PlainDeniedAsync(resolution);
        }

        await ThumbnailAnswers.WriteAsync(HttpContext, thumbnails, granted.Link.Owner, granted.Path);
        return new EmptyResult();
    }

    /// <summary>A shared folder (or one below it) as a zip, streamed.</summary>
    public async Task<IActionResult> OnGetZipAsync([FromServices] FolderArchive archive, CancellationToken ct)
    {
        var resolution = await access.ResolveAsync(HttpContext, ct);
        if (resolution is not ShareResolution.Granted { Path.IsFolder: true } granted)
        {
            return await PlainDeniedAsync(resolution);
        }

        var name = granted.Path.IsRoot ? "shared" : granted.Path.Name.TrimEnd('/');
        await FolderZipDownload.WriteAsync(HttpContext, archive, granted.Link.Owner, granted.Path, name, logger);
        return new EmptyResult();
    }

    private async Task<bool> IsFolderAsync(string owner, StoragePath folder, CancellationToken ct) =>
        (await hot.ListFolderAsync(owner, folder.Value, string.Empty, string.Empty, ct)).Count > 0;

    private async Task<TextPreview?> ReadTextAsync(string owner, StoragePath path, CancellationToken ct)
    {
        if (await reads.GetDocumentAsync(owner, path, RequestConditions.None, null, openBody: true, ct, byOwner: false) is not StorageOutcome.DocumentFound { Body: { } body } found)
        {
            return null;
        }

        await using (body)
        {
            return await TextPreviews.ReadAsync(found.Document, body, ct);
        }
    }

    private void Fill(string token, StoragePath root, StoragePath folder, List<ListingRow> rows)
    {
        var children = rows.Where(r => r.Path != folder.Value).OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
        Truncated = children.Count > MaxItems;
        var folders = new List<ShareItem>();
        var images = new List<ShareItem>();
        var audio = new List<ShareItem>();
        var others = new List<ShareItem>();
        foreach (var row in children.Take(MaxItems))
        {
            var item = ShareItems.Of(token, root, StoragePath.FromStored(row.Path), row.ContentType, row.ContentLength, row.LastModifiedUtc);
            (row.IsFolder ? folders : item.Kind switch
            {
                PreviewKind.Image => images,
                PreviewKind.Audio => audio,
                _ => others,
            }).Add(item);
        }

        (Folders, Images, Audio, Others) = (folders, images, audio, others);
    }

    private PageResult Denied(ShareResolution resolution)
    {
        switch (resolution)
        {
            case ShareResolution.TooManyMisses tooMany:
                Response.Headers.RetryAfter = FailureThrottle.RetryAfterSeconds(tooMany.RetryAfter);
                return View(ShareView.TooMany, StatusCodes.Status429TooManyRequests);
            case ShareResolution.Gone gone:
                GoneState = gone.State;
                return View(ShareView.Gone, StatusCodes.Status410Gone);
            case ShareResolution.BadPath:
                return View(ShareView.BadPath, StatusCodes.Status400BadRequest);
            case ShareResolution.PasswordNeeded:
                return View(ShareView.Password, StatusCodes.Status200OK);
            default:
                // Unknown, or the owner's account is leaving: nothing is shared here.
                return View(ShareView.Unknown, StatusCodes.Status404NotFound);
        }
    }

    private PageResult Missing() => View(ShareView.Missing, StatusCodes.Status404NotFound);

    private PageResult View(ShareView view, int status)
    {
        Shows = view;
        Response.StatusCode = status;
        return Page();
    }

    private Task<IActionResult> PlainDeniedAsync(ShareResolution resolution) => resolution switch
    {
        ShareResolution.TooManyMisses tooMany => TooManyAsync(tooMany.RetryAfter),
        ShareResolution.Gone { State: ShareState.Revoked } => PlainAsync(StatusCodes.Status410Gone, t["Plain_Revoked"]),
        ShareResolution.Gone => PlainAsync(StatusCodes.Status410Gone, t["Plain_Expired"]),
        ShareResolution.BadPath bad => PlainAsync(StatusCodes.Status400BadRequest, t["Plain_BadPath", bad.Reason]),
        ShareResolution.PasswordNeeded => PlainAsync(StatusCodes.Status403Forbidden, t["Plain_PasswordNeeded"]),
        _ => PlainAsync(StatusCodes.Status404NotFound, t["Plain_Unknown"]),
    };

    private async Task<IActionResult> TooManyAsync(TimeSpan wait)
    {
        await PageRateLimitMiddleware.WriteTooManyRequestsAsync(HttpContext, wait);
        return new EmptyResult();
    }

    private async Task<IActionResult> PlainAsync(int status, string message)
    {
        Response.StatusCode = status;
        Response.Headers.CacheControl = "no-store";
        Response.ContentType = "text/plain; charset=utf-8";
        await Response.WriteAsync(message + "\n", HttpContext.RequestAborted);
        return new EmptyResult();
    }

    /// <summary>Pages through a link show private content and must be asked for again after a revocation.</summary>
    private void NoStore() => Response.Headers.CacheControl = "no-store";

    /// <summary>This request's path as sent (still encoded), without the query.</summary>
    private string PathOnly()
    {
        var raw = HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? Request.Path.Value ?? "/";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? raw : raw[..query];
    }
}
