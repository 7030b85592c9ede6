using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Blobs;

namespace UnhostedStore.Storage;

/// <summary>
/// <c>/storage/{user}/{**path}</c>: one handler for every method, so that unknown methods,
/// errors and preflights all get the same CORS headers and exact status codes.
/// </summary>
public static class StorageEndpoints
{
    public const string Prefix = "/storage/";

    /// <summary>Requests for the storage handler: the raw target or the decoded path is under
    /// <c>/storage/</c> (an absolute-form target has only the latter, and gets its 400 there).</summary>
    public static bool IsStorageRequest(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { } raw && raw.StartsWith(Prefix, StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments("/storage", StringComparison.Ordinal);

    /// <summary>Answers one storage request and says what it was answered, for whoever
    /// composes the application to measure (this room records nothing itself).</summary>
    public static async Task<StorageExchange> HandleAsync(HttpContext context)
    {
        Cors.Apply(context);
        var services = context.RequestServices;
        StorageOutcome outcome;
        try
        {
            outcome = await DispatchAsync(context, services);
        }
        catch (Exception e) when (Unavailability.Describe(e) is { } reason && !context.Response.HasStarted)
        {
            // A write that failed here has not committed: the old version stays served.
            outcome = new StorageOutcome.ServiceUnavailable(reason);
        }

        await StorageResponder.WriteAsync(context, outcome);
        return new StorageExchange(outcome, context.Request.Body is CountingReadStream counted ? counted.Count : 0);
    }

    private static async Task<StorageOutcome> DispatchAsync(HttpContext context, IServiceProvider services)
    {
        var request = context.Request;
        var method = request.Method;
        if (IsMethod(method, HttpMethods.Options))
        {
            // draft-26 §9: preflights never need a token.
            return new StorageOutcome.Preflight();
        }

        var limiter = services.GetRequiredService<StorageRateLimiter>();
        if (limiter.TryAcquireRequest(context) is { } retryAfter)
        {
            return new StorageOutcome.TooManyRequests(retryAfter);
        }

        var isGet = IsMethod(method, HttpMethods.Get) || IsMethod(method, HttpMethods.Head);
        var isPut = IsMethod(method, HttpMethods.Put);
        var isDelete = IsMethod(method, HttpMethods.Delete);
        if (!isGet && !isPut && !isDelete)
        {
            return new StorageOutcome.MethodNotAllowed();
        }

        var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var target = StorageTarget.Parse(context.Features.Get<IHttpRequestFeature>()?.RawTarget, options.MaxUrlBytes);
        if (target.Outcome is { } invalid)
        {
            return invalid;
        }

        var path = target.Path!;
        var owner = target.Owner!;

        // RFC 9112 §6.1: a transfer coding we don't know gets 501. Kestrel already decoded
        // "chunked"; anything listed before it (e.g. "gzip, chunked") would reach us raw.
        if (request.Headers.TransferEncoding is { Count: > 0 } te && !IsOnlyChunked(te))
        {
            return new StorageOutcome.NotImplemented("unsupported transfer coding");
        }

        // Access comes first: nothing about the stored data is revealed before it.
        var access = await AuthorizeAsync(context, owner, path, write: !isGet);
        if (access is not null)
        {
            return access;
        }

        if (!RequestConditions.TryParse(request.Headers, out var conditions, out var conditionError))
        {
            return new StorageOutcome.BadRequest(conditionError!);
        }

        var storage = services.GetRequiredService<StorageService>();
        if (isGet && path.IsDocument && path.IsUnderPublic && context.Request.Headers.Authorization.Count == 0)
        {
            return await GetPublicDocumentAsync(context, storage, limiter, owner, path, conditions);
        }

        if (isGet)
        {
            return path.IsFolder
                ? await storage.GetFolderAsync(owner, path, conditions, context.RequestAborted)
                : await storage.GetDocumentAsync(
                    owner,
                    path,
                    conditions,
                    RangeOf(request),
                    openBody: !IsMethod(method, HttpMethods.Head),
                    context.RequestAborted);
        }

        if (path.IsFolder)
        {
            // draft-26 §5: folders are implicit; PUT and DELETE on them are malformed requests.
            return new StorageOutcome.BadRequest(isPut ? "cannot PUT a folder" : "cannot DELETE a folder");
        }

        if (isDelete)
        {
            return await storage.DeleteAsync(owner, path, conditions, context.RequestAborted);
        }

        return await PutAsync(context, storage, options, owner, path, conditions);
    }

    /// <summary>
    /// A tokenless read of a public document. draft-26 §14: servers SHOULD stop brute-force
    /// guessing of public URLs, so each client IP may miss only a few times a minute.
    /// </summary>
    private static async Task<StorageOutcome> GetPublicDocumentAsync(
        HttpContext context, StorageService storage, StorageRateLimiter limiter, string owner, StoragePath path, RequestConditions conditions)
    {
        if (limiter.CheckPublicMisses(context) is { } retryAfter)
        {
            return new StorageOutcome.TooManyRequests(retryAfter);
        }

        var outcome = await storage.GetDocumentAsync(owner, path, conditions, RangeOf(context.Request), openBody: !IsMethod(context.Request.Method, HttpMethods.Head), context.RequestAborted);
        if (outcome is StorageOutcome.NotFound)
        {
            limiter.RecordPublicMiss(context);
        }

        return outcome;
    }

    private static string? RangeOf(HttpRequest request) => request.Headers.Range.Count == 1 ? request.Headers.Range[0] : null;

    /// <summary>
    /// RFC 9110 §9.1: method names are case-sensitive, so <c>put</c> is an unknown method (405),
    /// not PUT. <see cref="HttpMethods.IsPut"/> and friends compare ignoring case.
    /// </summary>
    public static bool IsMethod(string method, string expected) => string.Equals(method, expected, StringComparison.Ordinal);

    private static async Task<StorageOutcome> PutAsync(
        HttpContext context, StorageService storage, StorageOptions options, string owner, StoragePath path, RequestConditions conditions)
    {
        var request = context.Request;

        // RFC 9110 §14.5 (draft-26 §5): a partial PUT must be refused, not stored whole.
        if (request.Headers.ContentRange.Count > 0)
        {
            return new StorageOutcome.BadRequest("Content-Range is not allowed on PUT");
        }

        if (!ContentTypes.TryValidate(request.Headers.ContentType, out var contentType, out var contentTypeError))
        {
            return new StorageOutcome.BadRequest(contentTypeError!);
        }

        if (request.ContentLength is { } declared && declared > options.MaxDocumentBytes)
        {
            return new StorageOutcome.PayloadTooLarge(options.MaxDocumentBytes);
        }

        // Our own limit applies (LengthLimitedStream), streaming; Kestrel's global cap would
        // answer 413 without CORS headers.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var body = new CountingReadStream(request.Body);
        request.Body = body;
        return await storage.PutAsync(owner, path, contentType!, body, request.ContentLength, conditions, context.RequestAborted);
    }

    private static async Task<StorageOutcome?> AuthorizeAsync(HttpContext context, string owner, StoragePath path, bool write)
    {
        var tokenStatus = BearerToken.Read(context.Request.Headers.Authorization, out var token);
        if (tokenStatus == BearerTokenStatus.Malformed)
        {
            return new StorageOutcome.BadRequest("malformed Authorization header");
        }

        // draft-26 §9: public documents (not folders) are readable by anyone.
        if (!write && path.IsDocument && path.IsUnderPublic)
        {
            return null;
        }

        if (tokenStatus == BearerTokenStatus.Absent)
        {
            return new StorageOutcome.Unauthorized(TokenSent: false);
        }

        // A client that presented many bad tokens waits before any token of it is looked at,
        // so guessing tokens is slow (issue 5: throttling of failed tokens).
        var limiter = context.RequestServices.GetRequiredService<StorageRateLimiter>();
        if (limiter.FailedTokens.Check(context) is { } failedWait)
        {
            return new StorageOutcome.TooManyRequests(failedWait);
        }

        var authenticator = context.RequestServices.GetRequiredService<StorageAuthenticator>();
        var grant = await authenticator.AuthenticateAsync(context, token);
        if (grant is null)
        {
            limiter.FailedTokens.Record(context);
            return new StorageOutcome.Unauthorized(TokenSent: true);
        }

        // Only tokens that authenticated get a bucket: unknown ones can't fill memory.
        if (limiter.TryAcquireForToken(token) is { } tokenWait)
        {
            return new StorageOutcome.TooManyRequests(tokenWait);
        }

        if (!string.Equals(grant.Subject, owner, StringComparison.Ordinal))
        {
            return new StorageOutcome.Forbidden("the token is not valid for this storage", InsufficientScope: false);
        }

        if (!grant.Scopes.Allows(path.Module, write))
        {
            return new StorageOutcome.Forbidden("the token's scope does not cover this path", InsufficientScope: true);
        }

        return null;
    }

    private static bool IsOnlyChunked(StringValues values) =>
        values.Count == 1 && values[0] is { } v && v.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The owner and path of a storage request, decoded once from the raw request target.</summary>
public readonly record struct StorageTarget(string? Owner, StoragePath? Path, StorageOutcome? Outcome)
{
    /// <summary>
    /// Parses the raw target (<c>/storage/{user}/{path}?query</c>). The raw form is used, not
    /// the server's decoded path, because that one has already resolved <c>..</c> segments and
    /// decoded everything but <c>%2F</c>: we must see both to reject them (draft-26 §4).
    /// </summary>
    public static StorageTarget Parse(string? rawTarget, int maxUrlBytes)
    {
        if (rawTarget is null || !rawTarget.StartsWith(StorageEndpoints.Prefix, StringComparison.Ordinal))
        {
            return Fail(rawTarget is not null && rawTarget.StartsWith("/storage", StringComparison.Ordinal)
                ? "missing user name"
                : "request target must be in origin form");
        }

        if (rawTarget.Length > maxUrlBytes)
        {
            return new StorageTarget(null, null, new StorageOutcome.UriTooLong());
        }

        var span = rawTarget.AsSpan(StorageEndpoints.Prefix.Length);
        var query = span.IndexOf('?');
        if (query >= 0)
        {
            span = span[..query];
        }

        var slash = span.IndexOf('/');
        if (slash <= 0)
        {
            return Fail(slash == 0 ? "empty user name" : "missing path after the user name");
        }

        var userError = StoragePath.TryDecodeSegment(span[..slash], out var owner);
        if (userError is not null)
        {
            return Fail(userError);
        }

        if (!UserName.TryParse(owner, out var userName))
        {
            return Fail("invalid user name");
        }

        var result = StoragePath.TryParse(span[slash..], out var path);
        if (result.IsTooLong)
        {
            return new StorageTarget(null, null, new StorageOutcome.UriTooLong());
        }

        return result.Success ? new StorageTarget(userName.Value, path, null) : Fail(result.Error!);

        static StorageTarget Fail(string reason) => new(null, null, new StorageOutcome.BadRequest(reason));
    }
}
