using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.DataFreedom.Export;
using UnhostedStore.Pages.Text;
using UnhostedStore.Previews;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// What the file browser's pages load, all of the logged-in person's own storage:
/// <c>/files/bytes?path=</c> a document's bytes (ranges, conditions; never active in our
/// origin: <see cref="SafeBytes"/>; <c>download=1</c> makes it an attachment),
/// <c>?handler=thumb</c> a thumbnail, <c>?handler=zip</c> a folder as a zip, streamed.
/// </summary>
[Authorize]
public sealed class BytesModel(DocumentReads reads, IStringLocalizer<FilesText> t, ILogger<BytesModel> logger) : PageModel
{
    public async Task<IActionResult> OnGetAsync([FromQuery] string? path, [FromQuery] string? download)
    {
        if (Parse(path, document: true, out var problem) is not { } parsed)
        {
            return await BadAsync(problem);
        }

        await SafeBytes.ServeAsync(HttpContext, reads, Owner, parsed, byOwner: true, attachment: download is "1" or "true");
        return new EmptyResult();
    }

    public async Task<IActionResult> OnGetThumbAsync([FromQuery] string? path, [FromServices] Thumbnails thumbnails)
    {
        if (Parse(path, document: true, out var problem) is not { } parsed)
        {
            return await BadAsync(problem);
        }

        await ThumbnailAnswers.WriteAsync(HttpContext, thumbnails, Owner, parsed);
        return new EmptyResult();
    }

    public async Task<IActionResult> OnGetZipAsync([FromQuery] string? path, [FromServices] FolderArchive archive)
    {
        if (Parse(path, document: false, out var problem) is not { } parsed)
        {
            return await BadAsync(problem);
        }

        var name = parsed.IsRoot ? "files" : FilePaths.NameOf(parsed);
        await FolderZipDownload.WriteAsync(HttpContext, archive, Owner, parsed, name, logger);
        return new EmptyResult();
    }

    private string Owner => User.Identity!.Name!;

    /// <summary>The path, or null with what is wrong: not a path, or not the kind asked for.</summary>
    private StoragePath? Parse(string? path, bool document, out string problem)
    {
        var parsed = string.IsNullOrEmpty(path) && !document ? StoragePath.Root : FilePaths.Parse(path, out _);
        problem = parsed is null
            ? t["Bytes_NotAPath"]
            : document && parsed.IsFolder ? t["Bytes_IsFolder"]
            : !document && parsed.IsDocument ? t["Bytes_IsDocument"]
            : string.Empty;
        return problem.Length == 0 ? parsed : null;
    }

    private async Task<IActionResult> BadAsync(string message)
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        Response.Headers.CacheControl = "no-store";
        Response.ContentType = "text/plain; charset=utf-8";
        await Response.WriteAsync(message + "\n", HttpContext.RequestAborted);
        return new EmptyResult();
    }
}
