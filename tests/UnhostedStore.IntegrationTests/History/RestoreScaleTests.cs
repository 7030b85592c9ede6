using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>
/// A folder restore over 10,000 documents on PostgreSQL, timed. The bound is loose (the shared
/// test machine runs other suites beside it); the benchmark measures the real figure. What it
/// guards against is a restore that reads version rows one document at a time.
/// </summary>
public sealed class RestoreScaleTests(PostgresServerFixture server, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>
{
    private const int Documents = 10_000;

    [Fact]
    public async Task Ten_thousand_documents_are_put_back_in_transactions_of_500_within_a_loose_bound()
    {
        var user = ServerFixture.NewUser();
        await WriteAllAsync(user, "v1");
        await Task.Delay(50);
        var asOf = DateTime.UtcNow;
        await Task.Delay(50);
        await WriteAllAsync(user, "v2");

        await using var scope = server.CreateScope();
        var history = scope.ServiceProvider.GetRequiredService<DocumentHistory>();
        var watch = Stopwatch.StartNew();
        var plan = await history.PlanFolderRestoreAsync(user, StoragePath.FromStored("/notes/"), asOf);
        var planned = watch.Elapsed;
        var report = await history.ApplyPlanAsync(plan, HistoryLabels.CommandLine);
        output.WriteLine($"planned in {planned.TotalSeconds:F2} s, restored {report.Restored} in {watch.Elapsed.TotalSeconds:F2} s");

        Assert.Empty(report.Failed);
        Assert.Equal(Documents, report.Restored);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        var client = new HistoryTestClient(server, user, await server.Tokens.IssueAsync(user, "notes:r"));
        Assert.Equal("v1 9999", System.Text.Encoding.UTF8.GetString((await client.GetAsync("/notes/f99/9999")).Body));
    }

    /// <summary>Every document once, through the write path, 500 to a transaction (as fast as
    /// seeding gets; over HTTP this would take minutes).</summary>
    private async Task WriteAllAsync(string user, string version)
    {
        await using var scope = server.CreateScope();
        var writes = scope.ServiceProvider.GetRequiredService<DocumentWrites>();
        for (var start = 0; start < Documents; start += 500)
        {
            var batch = Enumerable.Range(start, 500).Select(i =>
            {
                var body = System.Text.Encoding.UTF8.GetBytes($"{version} {i}");
                return (PendingWrite)new PendingPut(StoragePath.FromStored($"/notes/f{i % 100}/{i}"), RequestConditions.None, "text/plain", body.Length, null, body);
            }).ToList();
            await writes.CommitAsync(user, batch);
            Assert.All(batch, w => Assert.True(w.Outcome is StorageOutcome.Created or StorageOutcome.Updated, w.Outcome?.ToString()));
        }
    }
}
