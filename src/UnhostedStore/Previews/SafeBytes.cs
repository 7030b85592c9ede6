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
    /// is what a download is called; <paramref name="attachment"/> makes even an inert type a
    /// download (a "Download" button).</summary>
    public static Task WriteAsync(HttpContext context, StorageOutcome outcome, string fileName, bool attachment = false)
    {
        if (outcome is StorageOutcome.DocumentFound found)
        {
            var inline = !attachment && PreviewKinds.IsInert(found.Document.ContentType);
            var disposition = new ContentDispositionHeaderValue(inline ? "inline" : "attachment");
            disposition.SetHttpFileName(fileName.Length == 0 ? "download" : fileName);
            context.Response.Headers.ContentDisposition = disposition.ToString();

            // Never "public": the link (or the login) is the capability, and shared caches must
            // not keep its bytes.
            outcome = found with { Public = false };
        }
        else if (outcome is StorageOutcome.NotModified notModified)
        {
            outcome = notModified with { Public = false };
        }

        context.Response.Headers.ContentSecurityPolicy = StorageResponder.DocumentContentSecurityPolicy;
        return StorageResponder.WriteAsync(context, outcome);
    }

    /// <summary>
    /// The whole answer to a GET or HEAD of <paramref name="owner"/>'s document at
    /// <paramref name="path"/>: its conditional headers and one range (RFC 9110 §13, §14: what a
    /// player's seek sends), the read, and <see cref="WriteAsync"/>. <paramref name="byOwner"/>
    /// is false for anyone but the owner (nothing of an account that is leaving).
    /// </summary>
    public static async Task ServeAsync(HttpContext context, DocumentReads reads, string owner, StoragePath path, bool byOwner, bool attachment = false)
    {
        var ct = context.RequestAborted;
        if (!RequestConditions.TryParse(context.Request.Headers, out var conditions, out var error))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Bad request: " + error + "\n", ct);
            return;
        }

        var outcome = await reads.GetDocumentAsync(owner, path, conditions, RangeOf(context.Request), openBody: !HttpMethods.IsHead(context.Request.Method), ct, byOwner);
        try
        {
            await WriteAsync(context, outcome, path.Name, attachment);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The player moved on (a seek) or the browser went away.
        }
    }

    /// <summary>The <c>Range</c> header of a request, when it has exactly one.</summary>
    public static string? RangeOf(HttpRequest request) => request.Headers.Range.Count == 1 ? request.Headers.Range[0] : null;
}
