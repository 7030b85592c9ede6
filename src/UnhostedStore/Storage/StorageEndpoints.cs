using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Authorization;

namespace UnhostedStore.Storage;

/// <summary>What one request is about, once its target, credentials and conditions are parsed.</summary>
public sealed record StorageRequest(HttpContext Context, string Owner, StoragePath Path, RequestConditions Conditions, StorageCredentials Credentials)
{
    /// <summary>Whether the owner's own valid token came with the request.</summary>
    public bool ByOwner => Credentials.Grant is { } grant && string.Equals(grant.Subject, Owner, StringComparison.Ordinal);

    public IServiceProvider Services => Context.RequestServices;

    public CancellationToken Aborted => Context.RequestAborted;

    public bool IsHead => StorageEndpoints.IsMethod(Context.Request.Method, HttpMethods.Head);
}

/// <summary>
/// <c>/storage/{user}/{**path}</c>: the route table and the steps every request takes before
/// its handler, so that unknown methods, errors and preflights all get the same CORS headers
/// and exact status codes.
/// </summary>
public static class StorageEndpoints
{
    public const string Prefix = "/storage/";

    private delegate Task<StorageOutcome> Handler(StorageRequest request);

    /// <summary>
    /// Method × target kind → handler. draft-26 §5: documents take GET, HEAD, PUT and DELETE;
    /// folders GET and HEAD only (they are implicit, so PUT and DELETE on one is malformed).
    /// RFC 9110 §9.1: method names are case-sensitive, so <c>put</c> is not here and gets 405.
    /// </summary>
    private static readonly Dictionary<string, (Handler Document, Handler Folder, bool Writes)> Routes = new(StringComparer.Ordinal)
    {
        [HttpMethods.Get] = (DocumentHandlers.GetAsync, FolderHandlers.ListAsync, false),
        [HttpMethods.Head] = (DocumentHandlers.GetAsync, FolderHandlers.ListAsync, false),
        [HttpMethods.Put] = (DocumentHandlers.PutAsync, FolderHandlers.RefusePutAsync, true),
        [HttpMethods.Delete] = (DocumentHandlers.DeleteAsync, FolderHandlers.RefuseDeleteAsync, true),
    };

    /// <summary>Requests for the storage handler: the raw target or the decoded path is under
    /// <c>/storage/</c> (an absolute-form target has only the latter, and gets its 400 there).</summary>
    public static bool IsStorageRequest(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { } raw && raw.StartsWith(Prefix, StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments("/storage", StringComparison.Ordinal);

    /// <summary>RFC 9110 §9.1: method names are case-sensitive (<see cref="HttpMethods.IsPut"/>
    /// and friends ignore case).</summary>
    public static bool IsMethod(string method, string expected) => string.Equals(method, expected, StringComparison.Ordinal);

    /// <summary>Answers one storage request and says what it was answered, for whoever
    /// composes the application to measure (this room records nothing itself).</summary>
    public static async Task<StorageExchange> HandleAsync(HttpContext context)
    {
        Cors.Apply(context);
        StorageOutcome outcome;
        try
        {
            outcome = await DispatchAsync(context);
        }
        catch (Exception e) when (Unavailability.Describe(e) is { } reason && !context.Response.HasStarted)
        {
            // A write that failed here has not committed: the old version stays served.
            outcome = new StorageOutcome.ServiceUnavailable(reason);
        }

        await StorageResponder.WriteAsync(context, outcome);
        return new StorageExchange(outcome, context.Request.Body is CountingReadStream counted ? counted.Count : 0);
    }

    private static async Task<StorageOutcome> DispatchAsync(HttpContext context)
    {
        var request = context.Request;
        if (IsMethod(request.Method, HttpMethods.Options))
        {
            // draft-26 §9: preflights never need a token.
            return new StorageOutcome.Preflight();
        }

        // The token is validated before any limit applies, so that a valid one draws only from
        // its own bucket: behind a shared NAT, others' requests never use up a valid credential's
        // permits (draft-26 §14 asks to limit abuse, not users). A known token costs a cache look-up.
        var services = context.RequestServices;
        Changes.ChangeStreamEndpoint.AdoptQueryToken(context);
        var credentials = await services.GetRequiredService<StorageAuthenticator>().ReadAsync(context);
        var limiter = services.GetRequiredService<StorageRateLimiter>();
        if (limiter.TryAcquireRequest(context, credentials.ValidKey) is { } retryAfter)
        {
            return new StorageOutcome.TooManyRequests(retryAfter);
        }

        if (!Routes.TryGetValue(request.Method, out var route))
        {
            return new StorageOutcome.MethodNotAllowed();
        }

        var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var target = StorageTarget.Parse(context.Features.Get<IHttpRequestFeature>()?.RawTarget, options.MaxUrlBytes);
        if (target.Outcome is { } invalid)
        {
            return invalid;
        }

        // RFC 9112 §6.1: a transfer coding we don't know gets 501. Kestrel already decoded
        // "chunked"; anything listed before it (e.g. "gzip, chunked") would reach us raw.
        if (request.Headers.TransferEncoding is { Count: > 0 } te && !IsOnlyChunked(te))
        {
            return new StorageOutcome.NotImplemented("unsupported transfer coding");
        }

        // Access comes first: nothing about the stored data is revealed before it.
        var path = target.Path!;
        if (StorageAccess.Check(context, credentials, target.Owner!, path, route.Writes) is { } refused)
        {
            return refused;
        }

        // A precondition that is not an entity-tag list is ignored by GET and HEAD and fails a
        // write with 412 (RequestConditions.Unparseable); only one that cannot be read at all is 400.
        if (!RequestConditions.TryParse(request.Headers, out var conditions, out var conditionError))
        {
            return new StorageOutcome.BadRequest(conditionError!);
        }

        var handler = path.IsFolder ? route.Folder : route.Document;
        return await handler(new StorageRequest(context, target.Owner!, path, conditions, credentials));
    }

    private static bool IsOnlyChunked(StringValues values) =>
        values.Count == 1 && values[0] is { } v && v.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase);
}
