using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using UnhostedStore.Authorization;

namespace UnhostedStore.Storage.Changes;

/// <summary>
/// <c>GET &lt;folder&gt;</c> with <c>Accept: text/event-stream</c>: a live stream of the changes
/// below the folder (spec/changes-extension.md). It has passed the same access check as a folder
/// listing (draft-26 §9: a token of the owner that may read the folder's module) before it
/// gets here; a folder GET without that Accept is the plain listing, unchanged.
/// </summary>
public static class ChangeStreamEndpoint
{
    public const string EventStream = "text/event-stream";

    /// <summary>RFC 6750 §2.3: the token as a query parameter, for clients that can't send
    /// headers (a browser's EventSource). Accepted on change streams only.</summary>
    public const string AccessTokenParameter = "access_token";

    /// <summary>The resume point as a query parameter, for clients that can't send
    /// <c>Last-Event-ID</c> on their first connection.</summary>
    public const string LastEventIdParameter = "lastEventId";

    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>How long a stream the server ended gets to take its last frame before it is cut.</summary>
    private static readonly TimeSpan LastFrameGrace = TimeSpan.FromSeconds(10);

    /// <summary>Shorter when shutting down: the server waits for every request to end.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    /// <summary>Frames written before one flush, so a burst is sent in few packets.</summary>
    private const int FramesPerFlush = 64;

    /// <summary>Whether a request asks for a change stream: a GET that accepts <c>text/event-stream</c>.</summary>
    public static bool IsStreamRequest(HttpContext context)
    {
        if (!StorageEndpoints.IsMethod(context.Request.Method, HttpMethods.Get))
        {
            return false;
        }

        foreach (var accept in context.Request.Headers.Accept)
        {
            if (accept is not null && accept.Contains(EventStream, StringComparison.OrdinalIgnoreCase))
            {
                return context.RequestServices.GetRequiredService<IOptions<ChangeOptions>>().Value.ChangeStreams.Enabled;
            }
        }

        return false;
    }

    /// <summary>
    /// A stream request with no Authorization header but an <c>access_token</c> parameter is
    /// authenticated as if the token came in the header (RFC 6750 §2.3). Any other request keeps
    /// ignoring the parameter. The query string is never logged (the hosting log filters).
    /// </summary>
    public static void AdoptQueryToken(HttpContext context)
    {
        var request = context.Request;
        if (request.QueryString.HasValue
            && BearerToken.IsBlank(request.Headers.Authorization)
            && request.Query.TryGetValue(AccessTokenParameter, out var token)
            && token.Count == 1
            && !string.IsNullOrEmpty(token[0])
            && IsStreamRequest(context))
        {
            request.Headers.Authorization = "Bearer " + token[0];
        }
    }

    public static async Task<StorageOutcome> RunAsync(StorageRequest request)
    {
        var context = request.Context;
        if (request.Credentials.Grant is not { } grant)
        {
            return new StorageOutcome.Unauthorized(TokenSent: request.Credentials.Status != BearerTokenStatus.Absent);
        }

        var services = context.RequestServices;

        // A grant answered from memory another instance's revocation may not have reached yet is
        // confirmed once, before the stream opens (one read for a long-lived request); later
        // revocations end the stream through the cache's invalidations (ChangeStreamJobs).
        if (request.Credentials.Recheck is { } recheck
            && !(await services.GetRequiredService<GrantValidity>().StillValidAsync([recheck.TokenId], context.RequestAborted)).Contains(recheck.TokenId))
        {
            return StorageAccess.RefuseRevoked(context, request.Credentials);
        }

        var hub = services.GetRequiredService<ChangeHub>();
        var limits = services.GetRequiredService<IOptions<ChangeOptions>>().Value.ChangeStreams;
        using var stream = new ChangeStream(request.Owner, request.Path, grant, context.Connection.RemoteIpAddress ?? IPAddress.None, limits.QueueLength);
        if (hub.TryAdmit(stream) is { } refusal)
        {
            return hub.IsStopping
                ? new StorageOutcome.ServiceUnavailable(refusal)
                : new StorageOutcome.TooManyRequests(TimeSpan.FromSeconds(30), refusal);
        }

        try
        {
            var start = await hub.StartAsync(stream, LastEventId(context.Request), context.RequestAborted);
            await WriteAsync(context, stream, start);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            hub.Remove(stream);
        }

        return new StorageOutcome.Streamed();
    }

    /// <summary>The <c>Last-Event-ID</c> header (what EventSource sends when it reconnects), else
    /// the <c>lastEventId</c> parameter; null when neither is given.</summary>
    private static string? LastEventId(HttpRequest request)
    {
        if (request.Headers.TryGetValue(LastEventIdHeader, out var header) && header.Count == 1 && !string.IsNullOrWhiteSpace(header[0]))
        {
            return header[0]!.Trim();
        }

        return request.Query.TryGetValue(LastEventIdParameter, out var query) && query.Count == 1 && !string.IsNullOrWhiteSpace(query[0])
            ? query[0]!.Trim()
            : null;
    }

    private static async Task WriteAsync(HttpContext context, ChangeStream stream, StreamStart start)
    {
        var response = context.Response;
        StorageResponder.ApplySecurityHeaders(context);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = EventStream;

        // Never kept by a cache; never held back by a buffering proxy (nginx honours the header).
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // Writes are never cancelled (Kestrel aborts the connection when a write is, and the last
        // frame would be lost); instead, once the server ends a stream, a client that takes
        // nothing for a while more is cut off. The timer exists only from then on.
        using var cut = new CancellationTokenSource();
        using var abort = cut.Token.UnsafeRegister(static c => ((HttpContext)c!).Abort(), context);
        using var ending = stream.Ending.UnsafeRegister(
            _ => cut.CancelAfter(stream.End == StreamEnd.Shutdown ? ShutdownGrace : LastFrameGrace), null);

        var ct = context.RequestAborted;
        var body = response.Body;
        await body.WriteAsync(SseFrames.Open, ct);
        if (start.ResetReason is { } reason)
        {
            await body.WriteAsync(SseFrames.Reset(reason, start.ResetId), ct);
        }

        foreach (var change in start.Replay)
        {
            await body.WriteAsync(change.Frame, ct);
        }

        await body.FlushAsync(ct);
        await PumpAsync(stream, body, ct);

        var last = stream.End switch
        {
            StreamEnd.Overflow => SseFrames.Reset("overflow", null),
            StreamEnd.Gap => SseFrames.Reset("expired", null),
            StreamEnd.Shutdown => SseFrames.Retry(Random.Shared.Next(1000, 5000)),
            _ => null,
        };
        if (last is not null)
        {
            await body.WriteAsync(last, ct);
            await body.FlushAsync(ct);
        }
    }

    /// <summary>Writes queued frames until the server ends the stream; a burst goes out in one flush.</summary>
    private static async Task PumpAsync(ChangeStream stream, Stream body, CancellationToken ct)
    {
        var reader = stream.Reader;
        try
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct, stream.Ending);
            while (await reader.WaitToReadAsync(waiting.Token))
            {
                var frames = 0;
                while (frames < FramesPerFlush && stream.End == StreamEnd.None && reader.TryRead(out var item))
                {
                    await body.WriteAsync(item?.Frame ?? SseFrames.Heartbeat, ct);
                    frames++;
                }

                if (stream.End != StreamEnd.None)
                {
                    // What is still queued is superseded by the last frame.
                    return;
                }

                await body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Ended by the server while waiting for events.
        }
    }
}
