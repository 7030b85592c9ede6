using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using UnhostedStore.Pages.Text;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// <c>PUT /files/upload?path=/music/song.mp3</c>: one file from the file browser, its bytes as
/// the body and its type as <c>Content-Type</c>, the antiforgery token in the
/// <c>RequestVerificationToken</c> header (Razor Pages check it on every PUT; the body is not
/// a form, so the check never reads it). The body streams straight into
/// <see cref="DocumentWrites.PutAsync"/>, the storage API's own write path: bounded memory
/// whatever the size, <c>Storage:MaxDocumentBytes</c>, the quota, clashes and conditions
/// (<c>If-None-Match: *</c> asks not to replace an existing document). A body cut short stores
/// nothing. The answer is JSON with a sentence for the person: <c>{"ok":…,"message":…}</c>.
/// </summary>
[Authorize]
public sealed class UploadModel(DocumentWrites writes, IOptions<StorageOptions> options, IStringLocalizer<FilesText> t) : PageModel
{
    public sealed record UploadAnswer(bool Ok, string Outcome, string Message, string? ETag = null);

    public async Task<IActionResult> OnPutAsync([FromQuery] string? path)
    {
        var ct = HttpContext.RequestAborted;
        var parsed = FilePaths.Parse(path, out var error);
        if (parsed is null || parsed.IsFolder)
        {
            return Answer(StatusCodes.Status400BadRequest, "bad-path", error ?? t["Upload_NeedsName"]);
        }

        if (!ContentTypes.TryValidate(Request.Headers.ContentType, out var contentType, out _))
        {
            return Answer(StatusCodes.Status400BadRequest, "bad-type", t["Upload_BadType"]);
        }

        var limit = options.Value.MaxDocumentBytes;
        if (Request.ContentLength is { } declared && declared > limit)
        {
            return Answer(StatusCodes.Status413PayloadTooLarge, "too-large", TooLarge(limit));
        }

        if (!RequestConditions.TryParse(Request.Headers, out var conditions, out _) || conditions.Unparseable is not null)
        {
            return Answer(StatusCodes.Status400BadRequest, "bad-request", t["Js_bad-request"]);
        }

        // Our own limit applies, streaming (LengthLimitedStream); Kestrel's small default for
        // every other request would stop a large file.
        if (HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        var outcome = await writes.PutAsync(User.Identity!.Name!, parsed, contentType!, Request.Body, Request.ContentLength, conditions, ct, FilePaths.AppLabel);
        return outcome switch
        {
            StorageOutcome.Created created => Answer(StatusCodes.Status201Created, "created", t["Upload_Created"], created.ETag.Value),
            StorageOutcome.Updated updated => Answer(StatusCodes.Status200OK, "replaced", t["Upload_Replaced"], updated.ETag.Value),
            StorageOutcome.PreconditionFailed => Answer(StatusCodes.Status412PreconditionFailed, "exists", t["Upload_Exists"]),
            StorageOutcome.Conflict => Answer(StatusCodes.Status409Conflict, "conflict", t["Upload_Conflict"]),
            StorageOutcome.PayloadTooLarge tooLarge => Answer(StatusCodes.Status413PayloadTooLarge, "too-large", TooLarge(tooLarge.Limit)),
            StorageOutcome.InsufficientStorage => Answer(StatusCodes.Status507InsufficientStorage, "full", t["Upload_Full"]),
            StorageOutcome.BadRequest => Answer(StatusCodes.Status400BadRequest, "bad-request", t["Js_bad-request"]),
            StorageOutcome.ServiceUnavailable => Answer(StatusCodes.Status503ServiceUnavailable, "unavailable", t["Js_unavailable"]),
            StorageOutcome.Aborted => Aborted(),
            _ => Answer(StatusCodes.Status500InternalServerError, "failed", t["Upload_Failed"]),
        };
    }

    private string TooLarge(long limit) => t["Js_too-large", Words.Size(limit)];

    private JsonResult Answer(int status, string outcome, string message, string? etag = null)
    {
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(new UploadAnswer(status is >= 200 and < 300, outcome, message, etag)) { StatusCode = status };
    }

    /// <summary>The browser cancelled, or the connection broke: nothing was stored and nobody is listening.</summary>
    private EmptyResult Aborted()
    {
        HttpContext.Abort();
        return new EmptyResult();
    }
}
