using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>
/// The server process killed with SIGKILL while overwrites are in flight, with history on: every
/// document afterwards is either still its old version, or the new one with the old one in its
/// history, byte for byte; and <c>reconcile</c> finds nothing missing and, once it removed what
/// the crash left (uploads that never committed), no orphan.
/// </summary>
public abstract class HistoryCrashTests(ServerFixture server, ITestOutputHelper output)
{
    private const int Documents = 40;

    [Fact]
    public async Task A_server_killed_mid_overwrite_loses_no_version_and_reconcile_finds_nothing_missing()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var v1 = Enumerable.Range(0, Documents).Select(i => V1(i)).ToList();
        var v1Tags = new string[Documents];

        await using (var first = await ServerProcess.StartAsync(ProcessEnvironment()))
        {
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            for (var i = 0; i < Documents; i++)
            {
                using var put = await http.SendAsync(Put(user, token, i, v1[i]));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                v1Tags[i] = put.Headers.ETag!.Tag;
            }

            // Eight overwrites at a time; the process is killed once ten have been answered, with
            // others mid-upload or mid-commit and the rest not sent yet.
            var answered = 0;
            using var gate = new SemaphoreSlim(8);
            using var killed = new CancellationTokenSource();
            var writes = Enumerable.Range(0, Documents).Select(async i =>
            {
                await gate.WaitAsync(killed.Token);
                try
                {
                    using var put = await http.SendAsync(Put(user, token, i, V2(i)), killed.Token);
                    if (Interlocked.Increment(ref answered) == 10)
                    {
                        await first.KillHardAsync();
                        await killed.CancelAsync();
                    }
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            try
            {
                await Task.WhenAll(writes);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // The requests the kill cut off.
            }

            Assert.True(first.HasExited, first.Output);
            output.WriteLine($"killed after {answered} answered overwrites");
        }

        await using (var second = await ServerProcess.StartAsync(ProcessEnvironment()))
        {
            using var http = new HttpClient { BaseAddress = second.BaseAddress };
            var (old, replaced) = (0, 0);
            for (var i = 0; i < Documents; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/crash/{i}").WithToken(token);
                using var get = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                var body = await get.Content.ReadAsByteArrayAsync();
                if (body.AsSpan().SequenceEqual(v1[i]))
                {
                    Assert.Equal(v1Tags[i], get.Headers.ETag!.Tag);
                    old++;
                    continue;
                }

                Assert.True(body.AsSpan().SequenceEqual(V2(i)), $"document {i} is neither version");
                replaced++;
                await using var scope = server.CreateScope();
                var history = scope.ServiceProvider.GetRequiredService<DocumentHistory>();
                var versions = await history.ListVersionsAsync(user, StoragePath.FromStored($"/notes/crash/{i}"));
                var kept = Assert.Single(versions.Retained);
                Assert.Equal(v1Tags[i], kept.ETag.Quoted);
                await using var opened = await history.OpenVersionAsync(user, kept.Id!.Value);
                using var copy = new MemoryStream();
                await opened!.Content.CopyToAsync(copy);
                Assert.Equal(v1[i], copy.ToArray());
            }

            output.WriteLine($"{replaced} replaced (old version in history), {old} still old");
            Assert.True(replaced >= 10, $"only {replaced} replaced");
            Assert.True(old >= 1, "every overwrite had committed before the kill");

            var repaired = await ReconcileAsync(repair: true);
            Assert.Empty(repaired.MissingBlobs);
            Assert.Empty(repaired.MissingVersionBlobs);
            Assert.Empty(repaired.UsageDrifts);
            Assert.Equal(repaired.OrphanBlobs.Count, repaired.OrphansRemoved);

            var again = await ReconcileAsync(repair: false);
            Assert.Empty(again.OrphanBlobs);
            Assert.Empty(again.MissingBlobs);
            Assert.Empty(again.MissingVersionBlobs);
            Assert.Empty(again.UsageDrifts);
            Assert.Equal(Documents + replaced, again.BlobsSeen);
        }
    }

    private static byte[] V1(int i)
    {
        var bytes = new byte[100_000 + i];
        new Random(i).NextBytes(bytes);
        return bytes;
    }

    private static byte[] V2(int i)
    {
        var bytes = new byte[120_000 + i];
        new Random(1000 + i).NextBytes(bytes);
        return bytes;
    }

    private Dictionary<string, string> ProcessEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["DataDirectory"] = server.DataDirectory,
            ["ConnectionStrings__Postgres"] = server.PostgresConnectionString!,
            ["Storage__InlineMaxBytes"] = "16",
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

    private async Task<ReconcileReport> ReconcileAsync(bool repair)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<BlobReconciler>().RunAsync(repair, TimeSpan.Zero, checkRows: true, CancellationToken.None);
    }

    private static HttpRequestMessage Put(string user, string token, int i, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        return new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/crash/{i}") { Content = content }.WithToken(token);
    }
}

public sealed class HistoryCrashTests_Postgres(PostgresServerFixture server, ITestOutputHelper output) : HistoryCrashTests(server, output), IClassFixture<PostgresServerFixture>;

public sealed class HistoryCrashTests_PostgresS3(PostgresS3ServerFixture server, ITestOutputHelper output) : HistoryCrashTests(server, output), IClassFixture<PostgresS3ServerFixture>;
