using System.Globalization;
using UnhostedStore.Storage;

namespace UnhostedStore.Previews;

/// <summary>
/// The answer to a page's <c>&lt;img&gt;</c> of a thumbnail: the WebP of
/// <see cref="Thumbnails.GetAsync"/>, or our own picture icon when there can be none, sandboxed
/// like document bytes. The thumbnail's tag names the document version and the size, so a
/// browser revalidates (<c>no-cache</c>) and gets 304 until the document changes.
/// </summary>
public static class ThumbnailAnswers
{
    public static async Task WriteAsync(HttpContext context, Thumbnails thumbnails, string owner, StoragePath path)
    {
        var response = context.Response;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = StorageResponder.DocumentContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "private, no-cache";
        var ct = context.RequestAborted;
        var thumb = await thumbnails.GetAsync(owner, path, ct);
        byte[] bytes;
        if (thumb is null)
        {
            response.ContentType = PreviewIcons.ContentType;
            bytes = PreviewIcons.Picture;
        }
        else
        {
            var etag = "\"t" + thumbnails.Pixels.ToString(CultureInfo.InvariantCulture) + "-" + thumb.ETag.Value + "\"";
            headers.ETag = etag;
            if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Contains(etag, StringComparison.Ordinal)))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            response.ContentType = Thumbnail.ContentType;
            bytes = thumb.Bytes;
        }

        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, ct);
        }
    }
}
