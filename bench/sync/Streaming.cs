using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SyncSim;

/// <summary>
/// Change streams (spec/changes-extension.md): each app holds one on its folder, over its own
/// raw HTTP/1.1 connection. Idle connections hold no buffer: each waits with a zero-byte receive
/// and borrows a pooled buffer only when bytes arrive, so 100,000 streams cost the simulator
/// little more than their sockets. On a change it GETs the document; on reset it syncs in full;
/// when the connection ends it reconnects with <c>Last-Event-ID</c>, with backoff.
/// </summary>
internal sealed partial class Simulation
{
    private SemaphoreSlim? _connectGate;

    private Task OpenStreamsAsync(CancellationToken ct)
    {
        _connectGate = new SemaphoreSlim(_o.ConnectConcurrency);
        return Task.WhenAll(_streamApps.Select(app => Task.Run(() => StreamLoopAsync(app, ct), CancellationToken.None)));
    }

    private async Task WaitForStreamsAsync(double started)
    {
        if (_streamApps.Length == 0)
        {
            return;
        }

        // Until all are open, or no new one opened for a minute (refused, or the server is stuck).
        var lastOpen = 0;
        var lastProgress = Clock.NowMs;
        while (Volatile.Read(ref _streamsOpen) is var open && open < _streamApps.Length && Clock.NowMs - lastProgress < 60_000)
        {
            if (open > lastOpen)
            {
                lastOpen = open;
                lastProgress = Clock.NowMs;
            }

            await Task.Delay(100);
        }

        _allOpenSeconds = Volatile.Read(ref _streamsOpen) >= _streamApps.Length ? (Clock.NowMs - started) / 1000.0 : double.NaN;
        Log(string.Create(CultureInfo.InvariantCulture, $"{Volatile.Read(ref _streamsOpen)} of {_streamApps.Length} streams open after {(Clock.NowMs - started) / 1000.0:F1} s"));
    }

    private void CloseStreams()
    {
        foreach (var app in _streamApps)
        {
            try
            {
                app.Socket?.Dispose();
            }
            catch (ObjectDisposedException)
            {
                // Closed already.
            }
        }
    }

    private async Task StreamLoopAsync(App app, CancellationToken ct)
    {
        var backoff = 1000;
        var parser = app.Parser = new SseParser();
        parser.OnEvent = e => OnStreamEvent(app, e);
        while (!ct.IsCancellationRequested)
        {
            var opened = false;
            var openedAt = 0.0;
            var gate = _connectGate!;
            var gated = false;
            try
            {
                await gate.WaitAsync(ct);
                gated = true;
                var instance = app.Instance;
                using var socket = await _net.ConnectAsync(_endpoints[instance], ct);
                app.Socket = socket;
                await socket.SendAsync(RequestBytes(app, instance), SocketFlags.None, ct);
                parser.Reset();
                while (true)
                {
                    // Wait for bytes without holding a buffer, then borrow one to take them.
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);
                    var buffer = ArrayPool<byte>.Shared.Rent(4096);
                    int n;
                    try
                    {
                        n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                        app.ReceivedMs = Clock.NowMs;
                        if (n > 0)
                        {
                            parser.Feed(buffer.AsSpan(0, n));
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    if (!opened && parser.HeadDone)
                    {
                        if (parser.Status != 200)
                        {
                            Error("stream", parser.Status.ToString(CultureInfo.InvariantCulture));
                            if (parser.RetryAfterSeconds is { } wait)
                            {
                                backoff = Math.Max(backoff, wait * 1000);
                            }

                            break;
                        }

                        opened = true;
                        openedAt = Clock.NowMs;
                        app.StreamOpen = true;
                        Interlocked.Increment(ref _streamsOpen);
                        Interlocked.Increment(ref _streamOpens);
                        gate.Release();
                        gated = false;
                    }

                    if (n == 0 || parser.Ended)
                    {
                        if (!ct.IsCancellationRequested)
                        {
                            Error("stream", opened ? "closed-by-server" : "closed-before-answer");
                        }

                        break;
                    }
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Error("stream", e is InvalidDataException ? "bad-response" : Net.Describe(e));
                Failover(app, e);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                // Stopping.
            }
            finally
            {
                if (gated)
                {
                    gate.Release();
                }

                if (opened)
                {
                    app.StreamOpen = false;
                    Interlocked.Decrement(ref _streamsOpen);
                }

                app.Socket = null;
            }

            if (ct.IsCancellationRequested)
            {
                break;
            }

            // A stream that lasted resets the backoff; the server's retry hint wins when given.
            if (opened && Clock.NowMs - openedAt > 10_000)
            {
                backoff = 1000;
            }

            var delay = app.RetryMs > 0 ? app.RetryMs : backoff + Random.Shared.Next(backoff);
            app.RetryMs = 0;
            backoff = Math.Min(backoff * 2, 10_000);
            try
            {
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private byte[] RequestBytes(App app, int instance)
    {
        var server = _o.Servers[instance];
        var sb = new StringBuilder(256);
        sb.Append("GET /storage/").Append(app.UserName).Append(Folder).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Host).Append(':').Append(server.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Accept: text/event-stream\r\n")
            .Append("Authorization: ").Append(app.Authorization).Append("\r\n");
        if (app.LastEventId is { } id)
        {
            sb.Append("Last-Event-ID: ").Append(id).Append("\r\n");
        }

        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>Runs on the receive loop: cheap bookkeeping; fetches go to the thread pool.</summary>
    private void OnStreamEvent(App app, SseEvent e)
    {
        switch (e.Type)
        {
            case ":":
                Interlocked.Increment(ref _heartbeats);
                return;
            case "retry":
                // The first frame of every stream is retry: 3000 (a browser's default); a later one is
                // the server going away, spreading its clients' returns.
                if (app.Parser is { } p && p.HeadDone && int.TryParse(e.Data, CultureInfo.InvariantCulture, out var ms) && ms != 3000)
                {
                    app.RetryMs = ms;
                }

                return;
            case "reset":
                Resets.Add(ResetReason(e.Data) + (e.Id is null ? " (stream ends)" : string.Empty));
                app.LastEventId = e.Id;
                _ = FullSyncAsync(app, _stop.Token);

                return;
            case "change":
                break;
            default:
                return;
        }

        if (e.Id is not null)
        {
            app.LastEventId = e.Id;
        }

        Interlocked.Increment(ref _eventsReceived);
        string? path;
        string? etag;
        bool deleted;
        using (var json = JsonDocument.Parse(e.Data))
        {
            var root = json.RootElement;
            path = root.GetProperty("path").GetString();
            etag = root.GetProperty("etag").GetString();
            deleted = root.GetProperty("deleted").GetBoolean();
        }

        if (path is null || !TryParseDoc(path, _o.Module, out var writer, out var k))
        {
            return;
        }

        if (writer == app.Index)
        {
            // Its own write comes back too (spec §9: ignore it).
            Interlocked.Increment(ref _ownEvents);
            return;
        }

        var key = DocKey(writer, k);
        lock (app.Lock)
        {
            if (deleted)
            {
                app.Docs.Remove(key);
                return;
            }

            if (app.Docs.TryGetValue(key, out var known) && known == etag)
            {
                return;
            }
        }

        var measured = Measuring;
        Events.Arrived(Deliveries.Key(app.UserName, path, etag!), app.ReceivedMs, app.Instance, measured);
        _ = FetchAfterEventAsync(app, writer, k, _stop.Token);
    }

    /// <summary>The document an event named, retried with backoff until it is read (a client
    /// that gave up would stay behind until its next reset).</summary>
    private async Task FetchAfterEventAsync(App app, int writer, int k, CancellationToken ct)
    {
        var delay = 1000;
        try
        {
            while (!await FetchDocAsync(app, app.Instance, writer, k, ct))
            {
                await Task.Delay(delay + Random.Shared.Next(delay), ct);
                delay = Math.Min(delay * 2, 10_000);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>After a reset: a full sync of the folder, retried with backoff until one completes.</summary>
    private async Task FullSyncAsync(App app, CancellationToken ct)
    {
        var delay = 1000;
        try
        {
            while (true)
            {
                if (Interlocked.CompareExchange(ref app.Syncing, 1, 0) == 0 && await SyncAsync(app, conditional: false, ct))
                {
                    return;
                }

                await Task.Delay(delay + Random.Shared.Next(delay), ct);
                delay = Math.Min(delay * 2, 10_000);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static string ResetReason(string data)
    {
        try
        {
            using var json = JsonDocument.Parse(data);
            return json.RootElement.TryGetProperty("reason", out var r) ? r.GetString() ?? "?" : "?";
        }
        catch (JsonException)
        {
            return "?";
        }
    }
}
