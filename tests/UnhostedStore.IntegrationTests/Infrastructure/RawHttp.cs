using System.Net.Sockets;
using System.Text;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>A parsed raw HTTP/1.1 response.</summary>
public sealed record RawResponse(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// Sends bytes on a TCP socket exactly as given, for requests HttpClient refuses to make
/// (invalid UTF-8, dot segments, odd transfer codings, bodies cut off halfway).
/// </summary>
public static class RawHttp
{
    public static Task<RawResponse> SendAsync(Uri server, string request, byte[]? body = null) =>
        SendAsync(server, Encoding.Latin1.GetBytes(request), body);

    public static async Task<RawResponse> SendAsync(Uri server, byte[] head, byte[]? body = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(head);
        if (body is not null)
        {
            await stream.WriteAsync(body);
        }

        await stream.FlushAsync();
        return await ReadResponseAsync(stream);
    }

    /// <summary>
    /// Sends bytes and returns everything the server sent back until it closed the connection
    /// (a reset counts as closed); throws when it has not closed within 30 s.
    /// </summary>
    public static async Task<byte[]> SendAndReadUntilClosedAsync(Uri server, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        await stream.FlushAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        var chunk = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(chunk, cts.Token)) > 0)
            {
                received.Write(chunk, 0, n);
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
        }

        return received.ToArray();
    }

    /// <summary>Sends a request head and part of its body, then closes the connection.</summary>
    public static async Task SendAndAbortAsync(Uri server, string head, byte[] partialBody)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head));
        await stream.WriteAsync(partialBody);
        await stream.FlushAsync();
        await Task.Delay(200);
        client.Client.LingerState = new LingerOption(true, 0);
        client.Close();
    }

    /// <summary>Reads one response: headers, then Content-Length bytes, chunked, or to EOF.</summary>
    public static async Task<RawResponse> ReadResponseAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(chunk, cts.Token);
            if (n == 0)
            {
                throw new IOException("connection closed before the response head was complete");
            }

            buffer.Write(chunk, 0, n);
        }

        var all = buffer.ToArray();
        var headText = Encoding.Latin1.GetString(all, 0, headerEnd);
        var lines = headText.Split("\r\n");
        var statusLine = lines[0];
        var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var rest = new MemoryStream();
        rest.Write(all, headerEnd + 4, all.Length - headerEnd - 4);
        var response = new RawResponse(status, statusLine, headers, []);
        var lengthHeader = response.Header("Content-Length");
        if (status is 304 or 204 || (status >= 100 && status < 200))
        {
            return response;
        }

        if (lengthHeader is not null)
        {
            var length = long.Parse(lengthHeader, System.Globalization.CultureInfo.InvariantCulture);
            while (rest.Length < length)
            {
                var n = await stream.ReadAsync(chunk, cts.Token);
                if (n == 0)
                {
                    break;
                }

                rest.Write(chunk, 0, n);
            }

            return response with { Body = rest.ToArray()[..(int)Math.Min(length, rest.Length)] };
        }

        if (string.Equals(response.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            // Read to the terminating chunk; tests only need the decoded body of small responses.
            while (IndexOf(rest.GetBuffer().AsSpan(0, (int)rest.Length), "0\r\n\r\n"u8) < 0)
            {
                var n = await stream.ReadAsync(chunk, cts.Token);
                if (n == 0)
                {
                    break;
                }

                rest.Write(chunk, 0, n);
            }

            return response with { Body = DecodeChunked(rest.ToArray()) };
        }

        return response;
    }

    private static byte[] DecodeChunked(byte[] data)
    {
        var output = new MemoryStream();
        var i = 0;
        while (i < data.Length)
        {
            var lineEnd = IndexOf(data.AsSpan(i), "\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(data, i, lineEnd).Split(';')[0], 16);
            i += lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            output.Write(data, i, size);
            i += size + 2;
        }

        return output.ToArray();
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
}
