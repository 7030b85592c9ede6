using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace UnhostedStore.Storage;

/// <summary>
/// Turns a <see cref="StorageOutcome"/> into status, headers and body, in one exhaustive switch.
/// Nothing here varies per request except what the request itself asked for, so identical state
/// gives identical answers (no request ids, no timestamps besides Date).
/// </summary>
public static class StorageResponder
{
    public const string AllowedMethods = "GET, HEAD, PUT, DELETE, OPTIONS";

    private const string FolderContentType = "application/ld+json";

    private const string NoCache = "no-cache";

    public const string DocumentContentSecurityPolicy = "sandbox; default-src 'none'";

    // draft-26 §6: public documents say "public" so shared caches may keep them (revalidated).
    private const string NoCachePublic = "no-cache, public";

    public static async Task WriteAsync(HttpContext context, StorageOutcome outcome)
    {
        var response = context.Response;
        var headers = response.Headers;
        if (outcome is StorageOutcome.Streamed)
        {
            return;
        }

        var head = StorageEndpoints.IsMethod(context.Request.Method, HttpMethods.Head);
        ApplySecurityHeaders(context);
        switch (outcome)
        {
            case StorageOutcome.DocumentFound found:
                await WriteDocumentAsync(context, found, head);
                return;

            case StorageOutcome.FolderListed listed:
                response.StatusCode = StatusCodes.Status200OK;
                headers.ETag = listed.ETag.Quoted;
                headers.CacheControl = NoCache;
                headers.ContentType = FolderContentType;
                response.ContentLength = listed.Body.Length;
                if (!head)
                {
                    await response.Body.WriteAsync(listed.Body, context.RequestAborted);
                }

                return;

            case StorageOutcome.NotModified notModified:
                response.StatusCode = StatusCodes.Status304NotModified;
                headers.ETag = notModified.ETag.Quoted;
                headers.CacheControl = notModified.Public ? NoCachePublic : NoCache;
                return;

            case StorageOutcome.Created created:
                response.StatusCode = StatusCodes.Status201Created;
                headers.ETag = created.ETag.Quoted;
                response.ContentLength = 0;
                return;

            case StorageOutcome.Updated updated:
                response.StatusCode = StatusCodes.Status200OK;
                headers.ETag = updated.ETag.Quoted;
                response.ContentLength = 0;
                return;

            case StorageOutcome.Deleted deleted:
                // draft-26 §6 and §12.8: 200 (not 204) with the version that was deleted.
                response.StatusCode = StatusCodes.Status200OK;
                headers.ETag = deleted.ETag.Quoted;
                response.ContentLength = 0;
                return;

            case StorageOutcome.Preflight:
                response.StatusCode = StatusCodes.Status200OK;
                Cors.ApplyPreflight(context);
                response.ContentLength = 0;
                return;

            case StorageOutcome.NotFound:
                await WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not found");
                return;

            case StorageOutcome.PreconditionFailed failed:
                if (failed.Current is { } current)
                {
                    headers.ETag = current.Quoted;
                }

                await WriteErrorAsync(context, StatusCodes.Status412PreconditionFailed, "Precondition failed");
                return;

            case StorageOutcome.Conflict conflict:
                await WriteErrorAsync(context, StatusCodes.Status409Conflict, "Conflict: " + conflict.Reason);
                return;

            case StorageOutcome.BadRequest bad:
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "Bad request: " + bad.Reason);
                return;

            case StorageOutcome.Unauthorized unauthorized:
                // RFC 6750 §3: error="invalid_token" only when a token was presented.
                headers.WWWAuthenticate = unauthorized.TokenSent ? "Bearer error=\"invalid_token\"" : "Bearer";
                await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
                return;

            case StorageOutcome.Forbidden forbidden:
                if (forbidden.InsufficientScope)
                {
                    headers.WWWAuthenticate = "Bearer error=\"insufficient_scope\"";
                }

                await WriteErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: " + forbidden.Reason);
                return;

            case StorageOutcome.MethodNotAllowed:
                headers.Allow = AllowedMethods;
                await WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed");
                return;

            case StorageOutcome.PayloadTooLarge tooLarge:
                await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"Document is larger than the limit of {tooLarge.Limit} bytes");
                return;

            case StorageOutcome.InsufficientStorage quota:
                await WriteErrorAsync(context, StatusCodes.Status507InsufficientStorage, $"Storage quota of {quota.QuotaBytes} bytes would be exceeded");
                return;

            case StorageOutcome.UriTooLong:
                await WriteErrorAsync(context, StatusCodes.Status414UriTooLong, "URI too long");
                return;

            case StorageOutcome.RangeNotSatisfiable range:
                headers.ContentRange = $"bytes */{range.Length}";
                await WriteErrorAsync(context, StatusCodes.Status416RangeNotSatisfiable, "Range not satisfiable");
                return;

            case StorageOutcome.NotImplemented notImplemented:
                await WriteErrorAsync(context, StatusCodes.Status501NotImplemented, "Not implemented: " + notImplemented.Reason);
                return;

            case StorageOutcome.TooManyRequests tooMany:
                headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(tooMany.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, StatusCodes.Status429TooManyRequests, tooMany.Reason is { } why ? "Too many requests: " + why : "Too many requests");
                return;

            case StorageOutcome.ServiceUnavailable unavailable:
                headers.RetryAfter = "5";
                await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable: " + unavailable.Reason);
                return;

            case StorageOutcome.Aborted:
                context.Abort();
                return;

            case StorageOutcome.Streamed:
                return;

            default:
                throw new System.Diagnostics.UnreachableException($"Unhandled storage outcome {outcome.GetType().Name}");
        }
    }

    /// <summary>Every storage response: the stored Content-Type is the only one (no sniffing).</summary>
    public static void ApplySecurityHeaders(HttpContext context) => context.Response.Headers.XContentTypeOptions = "nosniff";

    private static async Task WriteDocumentAsync(HttpContext context, StorageOutcome.DocumentFound found, bool head)
    {
        var response = context.Response;
        var headers = response.Headers;

        // draft-26 §14: apps may upload HTML; opened in a browser tab, it runs nothing and loads
        // nothing with the storage origin's rights. fetch() and XHR ignore it (CORS is unchanged).
        headers.ContentSecurityPolicy = DocumentContentSecurityPolicy;
        var doc = found.Document;
        headers.ETag = doc.ETag.Quoted;
        headers.CacheControl = found.Public ? NoCachePublic : NoCache;

        // Byte for byte as stored, parameters included (section 8: rs.js decodes by charset).
        headers.ContentType = doc.ContentType;
        headers.AcceptRanges = "bytes";
        headers.LastModified = HttpDates.Format(doc.LastModifiedUtc);
        long length;
        if (found.Range is { } range)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            headers.ContentRange = RangeHeader.ContentRange(range, doc.ContentLength);
            length = range.Length;
        }
        else
        {
            response.StatusCode = StatusCodes.Status200OK;
            length = doc.ContentLength;
        }

        response.ContentLength = length;
        if (found.Body is not { } stream)
        {
            return;
        }

        await using (stream)
        {
            if (head || length == 0)
            {
                return;
            }

            if (stream is MemoryStream memory && memory.TryGetBuffer(out var inline))
            {
                // An inline document: one write, sent together with the headers.
                await response.Body.WriteAsync(inline.AsMemory(0, (int)length), context.RequestAborted);
                return;
            }

            // Stream straight from the blob; nothing is buffered beyond one copy buffer.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await CopyExactlyAsync(stream, response.Body, length, context.RequestAborted);
        }
    }

    private static async Task CopyExactlyAsync(Stream source, Stream destination, long count, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(81920, Math.Max(count, 1)));
        try
        {
            while (count > 0)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
                if (read == 0)
                {
                    throw new IOException("Blob ended before its recorded length.");
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.CacheControl = NoCache;
        response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(message + "\n");
        response.ContentLength = bytes.Length;
        return StorageEndpoints.IsMethod(context.Request.Method, HttpMethods.Head)
            ? Task.CompletedTask
            : response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }
}

/// <summary>
/// CORS for storage routes (draft-26 §7, section 8 of our requirements): every response echoes
/// the request Origin, never with credentials, and exposes the headers clients read.
/// </summary>
public static class Cors
{
    /// <summary>Retry-After (429, 503) and WWW-Authenticate (401, 403) too, so an app can tell how
    /// long to wait and why it was refused.</summary>
    public const string ExposedHeaders = "ETag, Content-Type, Content-Length, Content-Range, Accept-Ranges, Last-Modified, Retry-After, WWW-Authenticate";

    /// <summary>Last-Event-ID: a change stream's resume point (spec/changes-extension.md).</summary>
    public const string AllowedHeaders = "Authorization, Content-Type, Content-Length, Origin, X-Requested-With, If-Match, If-None-Match, Range, Last-Event-ID";

    public static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        var origin = context.Request.Headers.Origin;

        // Strict checkers reject "*" on preflights for PUT and DELETE, so the Origin is echoed.
        headers.AccessControlAllowOrigin = origin.Count == 1 && !string.IsNullOrEmpty(origin[0]) ? origin[0] : "*";
        headers.AccessControlExposeHeaders = ExposedHeaders;
        headers.Vary = HeaderNames.Origin;
    }

    public static void ApplyPreflight(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowMethods = StorageResponder.AllowedMethods;
        headers.AccessControlAllowHeaders = AllowedHeaders;
        headers.AccessControlMaxAge = "86400";
    }
}
