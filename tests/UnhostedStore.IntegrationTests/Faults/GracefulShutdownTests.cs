using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>
/// SIGTERM with a PUT in flight (item 7): the upload may finish within
/// Hosting:ShutdownTimeoutSeconds; one cut off past it leaves the old version served. The server
/// runs as a separate process on the fixture's PostgreSQL database and data directory.
/// </summary>
public sealed class GracefulShutdownTests(PostgresServerFixture server) : IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task An_upload_in_flight_at_SIGTERM_completes_with_201_within_the_shutdown_timeout_and_the_process_exits_0()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var body = RandomBytes(100_000);

        await using (var process = await ServerProcess.StartAsync(Environment(shutdownSeconds: 30)))
        {
            using var tcp = await StartPutAsync(process, user, token, body.Length, body.AsMemory(0, body.Length / 2));
            await Task.Delay(300);
            await Shell.SignalAsync(process.Pid, "TERM");
            await Task.Delay(1500);
            Assert.False(process.HasExited, "the server exited with a request in flight:\n" + process.Output);

            var stream = tcp.GetStream();
            await stream.WriteAsync(body.AsMemory(body.Length / 2));
            var status = await ReadStatusLineAsync(stream);
            Assert.StartsWith("HTTP/1.1 201", status, StringComparison.Ordinal);

            Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the server did not exit after SIGTERM:\n" + process.Output);
            Assert.Equal(0, process.ExitCode);
        }

        await using var again = await ServerProcess.StartAsync(Environment(shutdownSeconds: 30));
        using var http = new HttpClient { BaseAddress = again.BaseAddress };
        using var get = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/doc").WithToken(token));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_upload_cut_off_by_the_shutdown_timeout_leaves_the_old_version_served_after_restart()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var v1 = RandomBytes(100_000);
        var v2 = RandomBytes(100_000);
        string v1ETag;

        await using (var process = await ServerProcess.StartAsync(Environment(shutdownSeconds: 2)))
        {
            using (var http = new HttpClient { BaseAddress = process.BaseAddress })
            {
                var content = new ByteArrayContent(v1);
                content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
                using var put = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/doc") { Content = content }.WithToken(token));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                v1ETag = put.Headers.ETag!.Tag;
            }

            using var tcp = await StartPutAsync(process, user, token, v2.Length, v2.AsMemory(0, v2.Length / 2));
            await Task.Delay(300);
            await Shell.SignalAsync(process.Pid, "TERM");

            // The rest of v2 never comes: the server cuts the request off and exits.
            Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(20)), "the server did not exit after the shutdown timeout:\n" + process.Output);
            var status = await ReadStatusLineAsync(tcp.GetStream());
            Assert.DoesNotContain("201", status, StringComparison.Ordinal);
            Assert.DoesNotContain("200", status, StringComparison.Ordinal);
        }

        await using var again = await ServerProcess.StartAsync(Environment(shutdownSeconds: 2));
        using var client = new HttpClient { BaseAddress = again.BaseAddress };
        using var get = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/doc").WithToken(token));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(v1ETag, get.Headers.ETag?.Tag);
        Assert.Equal(v1, await get.Content.ReadAsByteArrayAsync());
    }

    private Dictionary<string, string> Environment(int shutdownSeconds) => new()
    {
        ["DataDirectory"] = server.DataDirectory,
        ["ConnectionStrings__Postgres"] = server.PostgresConnectionString!,
        ["Storage__InlineMaxBytes"] = "16",
        ["Hosting__ShutdownTimeoutSeconds"] = shutdownSeconds.ToString(CultureInfo.InvariantCulture),
    };

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static async Task<TcpClient> StartPutAsync(ServerProcess process, string user, string token, int length, ReadOnlyMemory<byte> firstPart)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(process.BaseAddress.Host, process.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"PUT /storage/{user}/notes/doc HTTP/1.1\r\nHost: {process.BaseAddress.Authority}\r\nAuthorization: Bearer {token}\r\n" +
            $"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n"));
        await stream.WriteAsync(firstPart);
        await stream.FlushAsync();
        return tcp;
    }

    /// <summary>The response's status line, or what the connection gave before it closed.</summary>
    private static async Task<string> ReadStatusLineAsync(NetworkStream stream)
    {
        var received = new StringBuilder();
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (!received.ToString().Contains("\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (IOException)
        {
        }

        var text = received.ToString();
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end >= 0 ? text[..end] : text;
    }
}
