using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Blobs;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>
/// The server process killed with SIGKILL in the middle of a large upload, and started again.
/// The server runs as a separate process on the fixture's database, data directory (whose keys
/// file makes the fixture's tokens valid there too) and blob store; the in-process fixture only
/// mints tokens and runs the reconciler.
/// </summary>
public abstract class ServerCrashTests(ServerFixture server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_server_killed_mid_upload_serves_the_previous_version_after_restart_and_reconcile_removes_what_the_crash_left()
    {
        var total = Stopwatch.StartNew();
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        output.WriteLine($"{total.Elapsed.TotalSeconds:F1}s token issued");
        var v1 = new byte[200_000];
        Random.Shared.NextBytes(v1);
        string v1ETag;

        await using (var first = await ServerProcess.StartAsync(ProcessEnvironment()))
        {
            output.WriteLine($"{total.Elapsed.TotalSeconds:F1}s first server process answering");
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            using (var put = await http.SendAsync(Put(user, token, v1)))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                v1ETag = put.Headers.ETag!.Tag;
            }

            // v2, chunked (length unknown), sent a piece at a time; killed once a good part of
            // it is staged on disk.
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(first.BaseAddress.Host, first.BaseAddress.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"PUT /storage/{user}/notes/doc HTTP/1.1\r\nHost: {first.BaseAddress.Authority}\r\nAuthorization: Bearer {token}\r\n" +
                "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"));
            var chunk = new byte[128 * 1024];
            Random.Shared.NextBytes(chunk);
            var sent = 0L;
            var watch = Stopwatch.StartNew();
            while (LargestStagedFile() < 1024 * 1024)
            {
                Assert.True(sent < 8 * 1024 * 1024 && watch.Elapsed < TimeSpan.FromSeconds(30), $"nothing staged after {sent} bytes sent:\n{first.Output}");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(chunk.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
                await stream.WriteAsync(chunk);
                await stream.WriteAsync("\r\n"u8.ToArray());
                await stream.FlushAsync();
                sent += chunk.Length;
                await Task.Delay(20);
            }

            output.WriteLine($"{total.Elapsed.TotalSeconds:F1}s {sent} bytes sent, {LargestStagedFile()} staged: SIGKILL");
            await first.KillHardAsync();
        }

        Assert.NotEmpty(Directory.EnumerateFiles(StagingFolder));

        await using (var second = await ServerProcess.StartAsync(ProcessEnvironment()))
        {
            output.WriteLine($"{total.Elapsed.TotalSeconds:F1}s second server process answering");
            using var http = new HttpClient { BaseAddress = second.BaseAddress };
            await AssertServesAsync(http, user, token, v1, v1ETag);

            // What the crash left is found, reported as an orphan, and removed ...
            var report = await ReconcileAsync();
            Assert.Empty(report.MissingBlobs);
            Assert.Empty(report.UsageDrifts);
            var leftover = Assert.Single(report.OrphanBlobs);
            Assert.StartsWith(BlobKeys.TempPrefix, leftover, StringComparison.Ordinal);
            Assert.Equal(1, report.OrphansRemoved);
            Assert.Empty(Directory.EnumerateFiles(StagingFolder));

            // ... and only that: v1 is still served, and a second run finds nothing.
            await AssertServesAsync(http, user, token, v1, v1ETag);
            var again = await ReconcileAsync();
            Assert.Empty(again.OrphanBlobs);
            Assert.Equal(0, again.OrphansRemoved);
            Assert.Empty(again.MissingBlobs);
            Assert.Empty(again.UsageDrifts);
            Assert.Equal(1, again.BlobsSeen);
            output.WriteLine($"{total.Elapsed.TotalSeconds:F1}s reconciled twice");
        }
    }

    /// <summary>Where a write stages bytes before its blob exists.</summary>
    private string StagingFolder => server.Backend == Backend.PostgresS3
        ? Path.Combine(server.DataDirectory, "tmp", "spool")
        : Path.Combine(server.DataDirectory, "blobs", "tmp");

    private long LargestStagedFile() =>
        Directory.Exists(StagingFolder) ? Directory.EnumerateFiles(StagingFolder).Select(f => new FileInfo(f).Length).DefaultIfEmpty(0).Max() : 0;

    private Dictionary<string, string> ProcessEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["DataDirectory"] = server.DataDirectory,
            ["ConnectionStrings__Postgres"] = server.PostgresConnectionString!,
            ["Storage__MaxDocumentBytes"] = (16 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["Storage__InlineMaxBytes"] = "16",
            ["RateLimiting__StoragePerIpPerSecond"] = "1000000",
            ["RateLimiting__StoragePerIpBurst"] = "1000000",
            ["RateLimiting__PublicMissesPerMinute"] = "1000000",
        };
        if (server.Backend == Backend.PostgresS3)
        {
            foreach (var (key, value) in TestS3.Settings(server.S3Bucket))
            {
                env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        return env;
    }

    private async Task<ReconcileReport> ReconcileAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<BlobReconciler>().RunAsync(repair: true, TimeSpan.Zero, checkRows: true, CancellationToken.None);
    }

    private static HttpRequestMessage Put(string user, string token, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        return new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/doc") { Content = content }.WithToken(token);
    }

    private static async Task AssertServesAsync(HttpClient http, string user, string token, byte[] body, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/doc").WithToken(token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag?.Tag);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }
}

public sealed class ServerCrashTests_Postgres(PostgresServerFixture server, ITestOutputHelper output) : ServerCrashTests(server, output), IClassFixture<PostgresServerFixture>;

public sealed class ServerCrashTests_PostgresS3(PostgresS3ServerFixture server, ITestOutputHelper output) : ServerCrashTests(server, output), IClassFixture<PostgresS3ServerFixture>;
