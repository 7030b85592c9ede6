using Microsoft.Net.Http.Headers;
using UnhostedStore.Storage;

namespace UnhostedStore.Previews;

/// <summary>
/// Answers a request for a document's bytes outside the storage API (a share link, a file
/// browser) so that nothing in them ever runs in our origin. The answer is the storage API's
/// own (<see cref="StorageResponder"/>: the stored Content-Type byte for byte, ETag, ranges,
/// <c>Content-Security-Policy: sandbox; default-src 'none'</c>, <c>X-Content-Type-Options: nosniff</c>),
/// plus <c>Content-Disposition</c>: <c>inline</c> only for the inert types of
/// <see cref="PreviewKinds.IsInert"/>, <c>attachment</c> for everything else, so an HTML or SVG
/// document opened through a link is saved, never shown.
/// </summary>
public static class SafeBytes
{
    /// <summary>Writes what <see cref="DocumentReads"/> answered; <paramref name="fileName"/>
    /// is what a download is called.</summary>
    public static Task WriteAsync(HttpContext context, StorageOutcome outcome, string fileName)
    {
        if (outcome is StorageOutcome.DocumentFound found)
        {
            var disposition = new ContentDispositionHeaderValue(PreviewKinds.IsInert(found.Document.ContentType) ? "inline" : "attachment");
            disposition.SetHttpFileName(fileName.Length == 0 ? "download" : fileName);
            context.Response.Headers.ContentDisposition = disposition.ToString();

            // Never "public": the link is the capability, and shared caches must not keep its bytes.
            outcome = found with { Public = false };
        }
        else if (outcome is StorageOutcome.NotModified notModified)
        {
            outcome = notModified with { Public = false };
        }

        context.Response.Headers.ContentSecurityPolicy = StorageResponder.DocumentContentSecurityPolicy;
        return StorageResponder.WriteAsync(context, outcome);
    }

    /// <summary>The <c>Range</c> header of a request, when it has exactly one.</summary>
    public static string? RangeOf(HttpRequest request) => request.Headers.Range.Count == 1 ? request.Headers.Range[0] : null;
}
