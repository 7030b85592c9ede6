using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>
/// How long history lasts and what it costs: the history job's expiry and per-document limit
/// (rows and blobs), delete for good and purge, listings untouched by any of it, and
/// <c>reconcile</c> finding nothing amiss afterwards.
/// </summary>
public abstract class RetentionTests(HistoryServerFixture server)
{
    [Fact]
    public async Task Listings_heads_and_gets_show_exactly_the_current_state_whatever_the_history_holds()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var (_, keptTag) = await client.PutAsync("/notes/l/kept", HistoryTestClient.Bytes(100, 1), "text/plain");
        await client.PutAsync("/notes/l/changed", HistoryTestClient.Bytes(100, 2), "text/plain");
        await client.PutAsync("/notes/l/gone", HistoryTestClient.Bytes(8, 3), "text/plain");
        await client.PutAsync("/notes/l/sub/only", HistoryTestClient.Bytes(50, 4), "text/plain");
        var (_, changedTag) = await client.PutAsync("/notes/l/changed", HistoryTestClient.Bytes(7, 5), "application/json");
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/notes/l/gone"));
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/notes/l/sub/only"));
        Assert.Equal(3, (await client.VersionRowsAsync()).Count);

        var listing = await client.ListAsync("/notes/l/");
        Assert.Equal(["changed", "kept"], listing.Items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((changedTag!.Trim('"'), "application/json", 7L), listing.Items["changed"]);
        Assert.Equal((keptTag!.Trim('"'), "text/plain", 100L), listing.Items["kept"]);
        Assert.Empty((await client.ListAsync("/notes/l/sub/")).Items);
        Assert.DoesNotContain("sub/", (await client.ListAsync("/notes/l/")).Items.Keys);

        var head = await client.GetAsync("/notes/l/changed", head: true);
        Assert.Equal((HttpStatusCode.OK, changedTag, "application/json"), (head.Status, head.ETag, head.ContentType));
        Assert.Equal(HistoryTestClient.Bytes(7, 5), (await client.GetAsync("/notes/l/changed")).Body);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/l/gone")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/l/gone", head: true)).Status);

        // The usage counters see documents only; history is counted apart.
        var account = await client.AccountAsync();
        Assert.Equal((107L, 2L), (account.UsedBytes, account.DocumentCount));
        Assert.Equal(100L + 8 + 50, account.HistoryBytes);
    }

    [Fact]
    public async Task The_history_job_removes_expired_versions_with_their_blobs_and_leaves_current_documents_and_recent_history()
    {
        var client = await HistoryTestClient.NewAsync(server);
        await client.PutAsync("/notes/e/a", HistoryTestClient.Bytes(1000, 1), "text/plain");
        await client.PutAsync("/notes/e/a", HistoryTestClient.Bytes(1001, 2), "text/plain");
        await client.PutAsync("/notes/e/b", HistoryTestClient.Bytes(900, 3), "text/plain");
        await client.DeleteAsync("/notes/e/b");
        await client.PutAsync("/notes/e/c", HistoryTestClient.Bytes(10, 4), "text/plain");
        await client.PutAsync("/notes/e/c", HistoryTestClient.Bytes(11, 5), "text/plain");
        var rows = await client.VersionRowsAsync();
        Assert.Equal(3, rows.Count);
        var oldKeys = rows.Where(r => r.BlobKey is not null).Select(r => r.BlobKey!).ToList();
        Assert.Equal(2, oldKeys.Count);
        var before = await server.StoredBlobKeysAsync();
        Assert.All(oldKeys, k => Assert.Contains(k, before));

        // Within the retention nothing goes.
        Assert.Equal(0, (await RunJobAsync()).Expired);
        Assert.Equal(3, (await client.VersionRowsAsync()).Count);

        // Two of them age past Storage:VersionRetentionDays (30).
        var aged = rows.Where(r => r.Path != "/notes/e/c").Select(r => r.Id).ToList();
        await using (var scope = server.CreateScope())
        {
            await ServerFixture.Db(scope).DocumentVersions.Where(v => aged.Contains(v.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(v => v.ReplacedUtc, DateTime.UtcNow.AddDays(-31)));
        }

        var report = await RunJobAsync();
        Assert.Equal(2, report.Expired);
        var left = Assert.Single(await client.VersionRowsAsync());
        Assert.Equal("/notes/e/c", left.Path);
        var stored = await server.StoredBlobKeysAsync();
        Assert.All(oldKeys, k => Assert.DoesNotContain(k, stored));
        Assert.Equal(HistoryTestClient.Bytes(1001, 2), (await client.GetAsync("/notes/e/a")).Body);
        Assert.Contains(await CurrentBlobKeyAsync(client.User, "/notes/e/a"), stored);
        await client.AssertHistoryBytesAsync();
        Assert.Equal(10L, (await client.AccountAsync()).HistoryBytes);
    }

    [Fact]
    public async Task The_history_job_keeps_only_the_newest_versions_per_document()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var tags = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            tags.Add((await client.PutAsync("/notes/m/doc", HistoryTestClient.Bytes(200 + i, i), "text/plain")).ETag!);
        }

        await client.PutAsync("/notes/m/other", HistoryTestClient.Bytes(300, 7), "text/plain");
        await client.PutAsync("/notes/m/other", HistoryTestClient.Bytes(301, 8), "text/plain");
        var before = await client.VersionRowsAsync();
        Assert.Equal(6, before.Count);

        var report = await RunJobAsync();
        Assert.Equal(2, report.OverLimit);
        var after = await client.VersionRowsAsync();
        var docVersions = after.Where(v => v.Path == "/notes/m/doc").OrderByDescending(v => v.ReplacedUtc).ToList();
        Assert.Equal(HistoryServerFixture.MaxVersions, docVersions.Count);
        Assert.Equal(tags.Skip(2).Take(3).Reverse().Select(t => t.Trim('"')), docVersions.Select(v => v.ETag));
        Assert.Single(after, v => v.Path == "/notes/m/other");

        var stored = await server.StoredBlobKeysAsync();
        var removed = before.Where(b => after.All(a => a.Id != b.Id)).ToList();
        Assert.Equal(2, removed.Count);
        Assert.All(removed, r => Assert.DoesNotContain(r.BlobKey!, stored));
        Assert.All(after, a => Assert.Contains(a.BlobKey!, stored));
        await client.AssertHistoryBytesAsync();
    }

    [Fact]
    public async Task Delete_for_good_one_version_and_a_purge_remove_rows_and_blobs_but_never_a_blob_a_document_still_uses()
    {
        var client = await HistoryTestClient.NewAsync(server);
        for (var i = 0; i < 3; i++)
        {
            await client.PutAsync("/notes/p/a", HistoryTestClient.Bytes(500 + i, i), "text/plain");
        }

        await client.PutAsync("/notes/p/b", HistoryTestClient.Bytes(600, 10), "text/plain");
        await client.DeleteAsync("/notes/p/b");
        await client.PutAsync("/notes/p/c", HistoryTestClient.Bytes(700, 20), "text/plain");
        await client.PutAsync("/notes/p/c", HistoryTestClient.Bytes(701, 21), "text/plain");

        // /notes/p/a's first version is restored: the document and that version row share a blob.
        var rows = await client.VersionRowsAsync();
        var first = rows.First(r => r.Path == "/notes/p/a");
        Assert.Equal(RestoreStatus.Restored, (await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, first.Id, null))).Status);
        Assert.Equal(first.BlobKey, await CurrentBlobKeyAsync(client.User, "/notes/p/a"));

        Assert.True(await client.HistoryAsync(h => h.DeleteVersionAsync(client.User, first.Id)));
        Assert.False(await client.HistoryAsync(h => h.DeleteVersionAsync(client.User, first.Id)));
        Assert.Contains(first.BlobKey!, await server.StoredBlobKeysAsync());
        Assert.Equal(HistoryTestClient.Bytes(500, 0), (await client.GetAsync("/notes/p/a")).Body);

        var bKey = rows.Single(r => r.Path == "/notes/p/b").BlobKey!;
        var forGood = await client.HistoryAsync(h => h.DeleteForGoodAsync(client.User, StoragePath.FromStored("/notes/p/b")));
        Assert.Equal((1, 600L), (forGood.Versions, forGood.Bytes));
        Assert.DoesNotContain(bKey, await server.StoredBlobKeysAsync());
        Assert.Empty(await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/notes/"))));

        // Nothing is older than a day yet; then everything goes.
        Assert.Equal(0, (await client.HistoryAsync(h => h.PurgeAsync(client.User, TimeSpan.FromDays(1)))).Versions);
        var keys = (await client.VersionRowsAsync()).Select(r => r.BlobKey!).ToList();
        var purged = await client.HistoryAsync(h => h.PurgeAsync(client.User, null));
        Assert.Equal(keys.Count, purged.Versions);
        Assert.Empty(await client.VersionRowsAsync());
        Assert.Equal(0L, (await client.AccountAsync()).HistoryBytes);
        var stored = await server.StoredBlobKeysAsync();
        Assert.All(keys, k => Assert.DoesNotContain(k, stored));
        foreach (var path in new[] { "/notes/p/a", "/notes/p/c" })
        {
            Assert.Contains(await CurrentBlobKeyAsync(client.User, path), stored);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).Status);
        }
    }

    [Fact]
    public async Task Reconcile_finds_no_missing_blob_no_orphan_and_no_drift_after_overwrites_deletes_restores_and_purges()
    {
        var client = await HistoryTestClient.NewAsync(server);
        for (var i = 0; i < 12; i++)
        {
            await client.PutAsync($"/notes/r/{i % 4}", HistoryTestClient.Bytes(i % 2 == 0 ? 8 : 400 + i, i), "text/plain");
        }

        await Task.Delay(50);
        var asOf = DateTime.UtcNow;
        await Task.Delay(50);
        await client.DeleteAsync("/notes/r/1");
        await client.PutAsync("/notes/r/new", HistoryTestClient.Bytes(999, 99), "text/plain");
        await client.PutAsync("/notes/r/2", HistoryTestClient.Bytes(12, 98), "text/plain");
        var report = await client.HistoryAsync(h => h.RestoreFolderAsync(client.User, StoragePath.FromStored("/notes/r/"), asOf, HistoryLabels.CommandLine));
        Assert.Empty(report.Failed);
        Assert.Equal((2, 1), (report.Restored, report.Deleted));
        var trash = await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/notes/r/")));
        Assert.Equal(RestoreStatus.Restored, (await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, Assert.Single(trash).VersionId, null))).Status);
        await RunJobAsync();
        var oldest = (await client.VersionRowsAsync())[0].Id;
        Assert.True(await client.HistoryAsync(h => h.DeleteVersionAsync(client.User, oldest)));

        var reconcile = await Poll.UntilAsync(
            () => ReconcileAsync(),
            r => r.OrphanBlobs.Count == 0,
            TimeSpan.FromSeconds(5),
            "no orphan");
        Assert.Empty(reconcile.MissingBlobs);
        Assert.Empty(reconcile.MissingVersionBlobs);
        Assert.Empty(reconcile.UsageDrifts);
        Assert.Empty(reconcile.OrphanBlobs);
        Assert.True(reconcile.BlobsSeen >= (await client.BlobKeysAsync()).Count);
        Assert.Subset(await server.StoredBlobKeysAsync(), await client.BlobKeysAsync());
    }

    private async Task<HistoryExpiryReport> RunJobAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<HistoryExpiry>().RunOnceAsync(CancellationToken.None);
    }

    private async Task<ReconcileReport> ReconcileAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<BlobReconciler>().RunAsync(repair: false, TimeSpan.Zero, checkRows: true, CancellationToken.None);
    }

    private async Task<string> CurrentBlobKeyAsync(string user, string path)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).Nodes.Where(n => n.Owner == user && n.Path == path).Select(n => n.BlobKey!).SingleAsync();
    }
}

public sealed class RetentionTests_Sqlite(HistorySqliteFixture server) : RetentionTests(server), IClassFixture<HistorySqliteFixture>;

public sealed class RetentionTests_Postgres(HistoryPostgresFixture server) : RetentionTests(server), IClassFixture<HistoryPostgresFixture>;

public sealed class RetentionTests_PostgresS3(HistoryPostgresS3Fixture server) : RetentionTests(server), IClassFixture<HistoryPostgresS3Fixture>;
