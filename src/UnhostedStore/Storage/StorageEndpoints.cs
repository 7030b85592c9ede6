using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using UnhostedStore.Authorization;
using UnhostedStore.Blobs;
using UnhostedStore.Hosting;

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

    public static async Task HandleAsync(HttpContext context)
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
        Telemetry.StoreMetrics.RecordStorage(context, outcome);
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

        // The token is validated before any limit applies, so that a valid one draws only from its
        // own bucket (see StorageRateLimiter). A token seen before costs a cache look-up.
        var tokenStatus = BearerToken.Read(request.Headers.Authorization, out var token);
        var grant = tokenStatus == BearerTokenStatus.Present
            ? await services.GetRequiredService<StorageAuthenticator>().AuthenticateAsync(context, token)
            : null;
        var limiter = services.GetRequiredService<StorageRateLimiter>();
        if (limiter.TryAcquireRequest(context, grant is null ? null : token) is { } retryAfter)
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
        var access = Authorize(context, tokenStatus, grant, owner, path, write: !isGet);
        if (access is not null)
        {
            return access;
        }

        // A precondition that is not an entity-tag list is ignored by GET and HEAD and fails a
        // write with 412 (RequestConditions.Unparseable; spec/conformance.md).
        if (!RequestConditions.TryParse(request.Headers, out var conditions, out var conditionError))
        {
            return new StorageOutcome.BadRequest(conditionError!);
        }

        var storage = services.GetRequiredService<StorageService>();
        if (isGet && path.IsDocument && path.IsUnderPublic && BearerToken.IsBlank(request.Headers.Authorization))
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
            // RFC 9110 §13.2.1: a write whose precondition cannot be evaluated is not performed,
            // even where a missing document would otherwise be 404.
            if (conditions.Unparseable is not null)
            {
                return new StorageOutcome.PreconditionFailed(null);
            }

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

        // Preconditions come after the request's own checks (RFC 9110 §13.2.1).
        if (conditions.Unparseable is not null)
        {
            return new StorageOutcome.PreconditionFailed(null);
        }

        var body = new Telemetry.CountingReadStream(request.Body);
        try
        {
            return await storage.PutAsync(owner, path, contentType!, body, request.ContentLength, conditions, context.RequestAborted);
        }
        finally
        {
            Telemetry.StoreMetrics.RecordBytesIn(body.Count);
        }
    }

    private static StorageOutcome? Authorize(
        HttpContext context, BearerTokenStatus tokenStatus, StorageGrant? grant, string owner, StoragePath path, bool write)
    {
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

        if (grant is null)
        {
            // Issue 5: an IP that presented many bad tokens gets 429 for its next bad ones (not
            // for valid ones: the token was validated first; see StorageRateLimiter.FailedTokens).
            var failed = context.RequestServices.GetRequiredService<StorageRateLimiter>().FailedTokens;
            if (failed.Check(context) is { } failedWait)
            {
                return new StorageOutcome.TooManyRequests(failedWait);
            }

            failed.Record(context);
            return new StorageOutcome.Unauthorized(TokenSent: true);
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

/// <summary>
/// Authenticates a bearer token for storage. A token seen before is answered from
/// <see cref="ValidatedTokenCache"/> (no database round trip); any other goes through the
/// <see cref="StorageClaims.Scheme"/> scheme (OpenIddict: token entry and grant entry, both
/// checked in the database) and is cached if valid. Without that scheme no token is valid.
/// </summary>
public sealed class StorageAuthenticator(
    IAuthenticationSchemeProvider schemes,
    ValidatedTokenCache cache,
    GrantUsageTracker usage,
    IServiceProvider services)
{
    /// <summary>Registered on SQLite only (PostgreSQL pushes changes instead).</summary>
    private readonly SqliteAuthEpoch? _sqliteEpoch = services.GetService<SqliteAuthEpoch>();

    private bool? _registered;

    public async Task<StorageGrant?> AuthenticateAsync(HttpContext context, string token)
    {
        _registered ??= await schemes.GetSchemeAsync(StorageClaims.Scheme) is not null;
        if (_registered != true)
        {
            return null;
        }

        var key = TokenKey.Of(token);
        if ((_sqliteEpoch is null || _sqliteEpoch.Refresh()) && cache.TryGet(key, out var cached))
        {
            if (cached.AuthorizationId is { } id)
            {
                usage.Record(id);
            }

            return cached;
        }

        // Read before the database is: an invalidation after this point keeps the result out.
        var generation = cache.Generation;

        // Storage leaves the pipeline before the authentication middleware, which would have
        // let OpenIddict set up its per-request state (IAuthenticationRequestHandler); do that here.
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(context, StorageClaims.Scheme) is IAuthenticationRequestHandler handler
            && await handler.HandleRequestAsync())
        {
            return null;
        }

        var result = await context.AuthenticateAsync(StorageClaims.Scheme);
        if (!result.Succeeded || StorageGrant.FromPrincipal(result.Principal) is not { } grant)
        {
            return null;
        }

        cache.TryAdd(key, grant, generation);
        return grant;
    }
}

/// <summary>The owner and path of a storage request, decoded once from the raw request target.</summary>
public readonly record struct StorageTarget(string? Owner, StoragePath? Path, StorageOutcome? Outcome)
{
    public const int MaxUserLength = 64;

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

        if (owner.Length > MaxUserLength || owner is "." or "..")
        {
            return Fail("invalid user name");
        }

        var result = StoragePath.TryParse(span[slash..], out var path);
        if (result.IsTooLong)
        {
            return new StorageTarget(null, null, new StorageOutcome.UriTooLong());
        }

        return result.Success ? new StorageTarget(owner, path, null) : Fail(result.Error!);

        static StorageTarget Fail(string reason) => new(null, null, new StorageOutcome.BadRequest(reason));
    }
}
