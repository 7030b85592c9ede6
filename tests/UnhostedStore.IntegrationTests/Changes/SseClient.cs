using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Changes;

/// <summary>One server-sent event as a client sees it (WHATWG HTML §9.2.6); a block of only
/// comment lines is a heartbeat, a block of only <c>retry:</c> a retry hint.</summary>
public sealed record SseEvent(string? Id, string Type, string Data, int? Retry)
{
    /// <summary>A comment-only block, or a <c>retry:</c>-only one: no event for an application.</summary>
    public bool IsHeartbeat => Type is "(comment)" or "(retry)";

    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public string Path => Json.GetProperty("path").GetString()!;

    public override string ToString() => $"[id: {Id}, event: {Type}, data: {Data}, retry: {Retry}]";
}

/// <summary>
/// A change stream opened with HttpClient, read line by line on a task of its own (a cancelled
/// read would abort the connection); <see cref="NextAsync"/> waits for the next event.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private Task? _pump;

    private SseClient(HttpClient http, HttpResponseMessage response)
    {
        _http = http;
        Response = response;
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Set once the server ended the response (or the connection broke).</summary>
    public bool Ended { get; private set; }

    public string? EndError { get; private set; }

    /// <summary>Opens <c>GET url</c> with <c>Accept: text/event-stream</c>; the token goes in the
    /// Authorization header unless <paramref name="tokenInQuery"/>. With
    /// <paramref name="smallReceiveBuffer"/> the socket takes only a few KB before the server must
    /// wait, for a client that stops reading. With <paramref name="startReading"/> false nothing is
    /// read until <see cref="StartReading"/>.</summary>
    public static async Task<SseClient> OpenAsync(
        Uri baseAddress,
        string url,
        string? token,
        string? lastEventId = null,
        bool tokenInQuery = false,
        bool smallReceiveBuffer = false,
        bool startReading = true,
        string? origin = null)
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, UseCookies = false };
        if (smallReceiveBuffer)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null && tokenInQuery)
        {
            url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "access_token=" + Uri.EscapeDataString(token);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null && !tokenInQuery)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var client = new SseClient(http, response);
        if (startReading && response.StatusCode == HttpStatusCode.OK)
        {
            client.StartReading();
        }

        return client;
    }

    public void StartReading() => _pump ??= Task.Run(PumpAsync);

    /// <summary>The next event that is not a heartbeat (unless asked for), or null when the
    /// stream ended first; fails after <paramref name="timeout"/>.</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan? timeout = null, bool heartbeats = false)
    {
        StartReading();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (await _events.Reader.WaitToReadAsync(cts.Token))
            {
                if (_events.Reader.TryRead(out var e) && (heartbeats || !e.IsHeartbeat))
                {
                    return e;
                }
            }

            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no event within {timeout ?? TimeSpan.FromSeconds(10)}");
        }
    }

    /// <summary>Asserts that no event but heartbeats arrives for <paramref name="wait"/>.</summary>
    public async Task AssertQuietAsync(TimeSpan wait)
    {
        try
        {
            var e = await NextAsync(wait);
            Assert.Fail($"unexpected event: {e}");
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Reads until the stream ends; returns what came meanwhile.</summary>
    public async Task<List<SseEvent>> ReadToEndAsync(TimeSpan timeout)
    {
        var all = new List<SseEvent>();
        while (await NextAsync(timeout, heartbeats: true) is { } e)
        {
            all.Add(e);
        }

        return all;
    }

    private async Task PumpAsync()
    {
        try
        {
            using var reader = new StreamReader(await Response.Content.ReadAsStreamAsync(), Encoding.UTF8);
            string? id = null;
            string? type = null;
            int? retry = null;
            var data = new StringBuilder();
            var comment = false;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    if (type is not null || data.Length > 0)
                    {
                        _events.Writer.TryWrite(new SseEvent(id, type ?? "message", data.ToString().TrimEnd('\n'), retry));
                    }
                    else if (retry is not null)
                    {
                        _events.Writer.TryWrite(new SseEvent(id, "(retry)", string.Empty, retry));
                    }
                    else if (comment)
                    {
                        _events.Writer.TryWrite(new SseEvent(null, "(comment)", string.Empty, null));
                    }

                    (id, type, retry, comment) = (null, null, null, false);
                    data.Clear();
                    continue;
                }

                if (line[0] == ':')
                {
                    comment = true;
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? string.Empty : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        data.Append(value).Append('\n');
                        break;
                    case "retry":
                        retry = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException)
        {
            EndError = e.Message;
        }
        finally
        {
            Ended = true;
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Response.Dispose();
        _http.Dispose();
        if (_pump is not null)
        {
            try
            {
                await _pump.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // Whatever the pump met after the connection was closed under it.
            }
        }
    }
}
