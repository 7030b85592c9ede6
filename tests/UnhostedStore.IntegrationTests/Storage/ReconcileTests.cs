using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Blobs;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// The reconciler (behind the <c>reconcile</c> command and the orphan sweeper) on drift seeded in
/// each direction: blobs no row references, rows whose blob is gone, usage counters that disagree
/// with the rows. Every test repairs what it seeds, so the store is clean between tests.
/// </summary>
public abstract class ReconcileTests(ServerFixture server)
{
    private static readonly TimeSpan LargeGrace = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_blob_no_row_references_is_an_orphan_once_older_than_the_grace_and_repair_removes_it()
    {
        var store = server.Services.GetRequiredService<IBlobStore>();
        var key = BlobKeys.New();
        var bytes = new byte[5000];
        Random.Shared.NextBytes(bytes);
        await store.WriteAsync(key, new MemoryStream(bytes), bytes.Length, CancellationToken.None);

        // Younger than the grace: it may be a write about to commit, so it is left alone.
        var young = await ReconcileAsync(repair: true, LargeGrace);
        Assert.DoesNotContain(key, young.OrphanBlobs);
        Assert.Equal(0, young.OrphansRemoved);
        Assert.Contains(key, await server.StoredBlobKeysAsync());

        // With no grace it is reported (S3 stamps whole seconds, so allow the clock to pass it).
        var found = await Poll.UntilAsync(() => ReconcileAsync(repair: false, TimeSpan.Zero), r => r.OrphanBlobs.Count > 0, TimeSpan.FromSeconds(5), "orphan reported");
        Assert.Equal([key], found.OrphanBlobs);
        Assert.Equal(0, found.OrphansRemoved);
        Assert.Contains(key, await server.StoredBlobKeysAsync());

        var repaired = await ReconcileAsync(repair: true, TimeSpan.Zero);
        Assert.Equal([key], repaired.OrphanBlobs);
        Assert.Equal(1, repaired.OrphansRemoved);
        Assert.DoesNotContain(key, await server.StoredBlobKeysAsync());

        var after = await ReconcileAsync(repair: false, TimeSpan.Zero);
        Assert.Empty(after.OrphanBlobs);
    }

    [Fact]
    public async Task A_row_whose_blob_is_gone_is_reported_and_repair_deletes_it_keeping_listings_and_usage_right()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutAsync(user, token, "notes/x/lost", 3000);
        await PutAsync(user, token, "notes/x/kept", 1000);
        await PutAsync(user, token, "notes/y/alone", 2000);
        var lostKey = await BlobKeyAsync(user, "/notes/x/lost");
        var aloneKey = await BlobKeyAsync(user, "/notes/y/alone");
        var store = server.Services.GetRequiredService<IBlobStore>();
        await store.DeleteAsync(lostKey, CancellationToken.None);
        await store.DeleteAsync(aloneKey, CancellationToken.None);

        var found = await ReconcileAsync(repair: false, LargeGrace);
        Assert.Equal(
            [(user, "/notes/x/lost", lostKey), (user, "/notes/y/alone", aloneKey)],
            found.MissingBlobs.OrderBy(m => m.Path, StringComparer.Ordinal).ToArray());
        Assert.Equal(0, found.RowsRemoved);
        Assert.Empty(found.OrphanBlobs);
        Assert.Empty(found.UsageDrifts);

        var repaired = await ReconcileAsync(repair: true, LargeGrace);
        Assert.Equal(2, repaired.MissingBlobs.Count);
        Assert.Equal(2, repaired.RowsRemoved);
        Assert.Empty(repaired.UsageDrifts);

        // The normal delete path ran: the documents are gone, the folder left empty is gone
        // from its parent's listing, the other document stays, and usage dropped with them.
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(user, token, "notes/x/lost"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(user, token, "notes/y/alone"));
        Assert.Equal(["kept"], await ListAsync(user, token, "notes/x/"));
        Assert.Equal(["x/"], await ListAsync(user, token, "notes/"));
        await using (var scope = server.CreateScope())
        {
            var account = await ServerFixture.Db(scope).Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
            Assert.Equal(1000, account.UsedBytes);
            Assert.Equal(1, account.DocumentCount);
        }

        var after = await ReconcileAsync(repair: false, TimeSpan.Zero);
        Assert.Empty(after.MissingBlobs);
        Assert.Empty(after.OrphanBlobs);
        Assert.Empty(after.UsageDrifts);
    }

    [Fact]
    public async Task Usage_counters_that_disagree_with_the_rows_are_reported_with_both_values_and_repaired_to_the_actual_sums()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutAsync(user, token, "notes/a", 1200);
        await PutAsync(user, token, "notes/b/c", 300);
        await PutAsync(user, token, "notes/tiny", 5);
        await using (var scope = server.CreateScope())
        {
            await ServerFixture.Db(scope).Accounts.Where(a => a.UserName == user)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.UsedBytes, 999_999).SetProperty(a => a.DocumentCount, 7));
        }

        var found = await ReconcileAsync(repair: false, LargeGrace);
        Assert.Equal([new UsageDrift(user, 999_999, 1505, 7, 3)], found.UsageDrifts);
        Assert.Equal(0, found.UsageRepaired);
        Assert.Empty(found.MissingBlobs);
        Assert.Empty(found.OrphanBlobs);

        var repaired = await ReconcileAsync(repair: true, LargeGrace);
        Assert.Equal([new UsageDrift(user, 999_999, 1505, 7, 3)], repaired.UsageDrifts);
        Assert.Equal(1, repaired.UsageRepaired);
        await using (var scope = server.CreateScope())
        {
            var account = await ServerFixture.Db(scope).Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
            Assert.Equal(1505, account.UsedBytes);
            Assert.Equal(3, account.DocumentCount);
        }

        Assert.Empty((await ReconcileAsync(repair: false, LargeGrace)).UsageDrifts);
    }

    [Fact]
    public async Task Per_module_usage_that_disagrees_with_the_rows_is_reported_and_rebuilt()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutAsync(user, token, "notes/a", 1200);
        await PutAsync(user, token, "photos/b", 300);
        await PutAsync(user, token, "top", 40);
        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            await db.ModuleUsage.Where(m => m.Owner == user && m.Module == "notes")
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.UsedBytes, 5).SetProperty(m => m.DocumentCount, 9));
            await db.ModuleUsage.Where(m => m.Owner == user && m.Module == "photos").ExecuteDeleteAsync();
        }

        var found = await ReconcileAsync(repair: false, LargeGrace);
        Assert.Equal(
            [new UsageDrift(user, 5, 1200, 9, 1, "notes"), new UsageDrift(user, 0, 300, 0, 1, "photos")],
            found.UsageDrifts.OrderBy(d => d.Module, StringComparer.Ordinal).ToArray());

        var repaired = await ReconcileAsync(repair: true, LargeGrace);
        Assert.Equal(1, repaired.UsageRepaired);
        await using (var scope = server.CreateScope())
        {
            var rows = await ServerFixture.Db(scope).ModuleUsage.AsNoTracking().Where(m => m.Owner == user)
                .OrderBy(m => m.Module).Select(m => new { m.Module, m.UsedBytes, m.DocumentCount }).ToListAsync();
            Assert.Equal(
                [new { Module = string.Empty, UsedBytes = 40L, DocumentCount = 1L }, new { Module = "notes", UsedBytes = 1200L, DocumentCount = 1L }, new { Module = "photos", UsedBytes = 300L, DocumentCount = 1L }],
                rows);
        }

        Assert.Empty((await ReconcileAsync(repair: false, LargeGrace)).UsageDrifts);
    }

    [Fact]
    public async Task A_clean_store_reports_nothing_and_repair_changes_nothing()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutAsync(user, token, "notes/inline", 4);
        await PutAsync(user, token, "notes/deep/er/doc", 4000);
        await PutAsync(user, token, "notes/replaced", 2000);
        var replacedETag = await PutAsync(user, token, "notes/replaced", 2500);
        await PutAsync(user, token, "notes/deleted", 3000);
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, $"/storage/{user}/notes/deleted").WithToken(token))
        using (var response = await server.Client.SendAsync(delete))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var repair in new[] { false, true })
        {
            var report = await ReconcileAsync(repair, TimeSpan.Zero);
            Assert.Empty(report.OrphanBlobs);
            Assert.Equal(0, report.OrphansRemoved);
            Assert.Empty(report.MissingBlobs);
            Assert.Equal(0, report.RowsRemoved);
            Assert.Empty(report.UsageDrifts);
            Assert.Equal(0, report.UsageRepaired);
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(user, token, "notes/deep/er/doc"));
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/replaced").WithToken(token);
        using var got = await server.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(replacedETag, got.Headers.ETag?.Tag);
        Assert.Equal(2500, (await got.Content.ReadAsByteArrayAsync()).Length);
    }

    private async Task<ReconcileReport> ReconcileAsync(bool repair, TimeSpan grace)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<BlobReconciler>().RunAsync(repair, grace, checkRows: true, CancellationToken.None);
    }

    private async Task<string> BlobKeyAsync(string user, string path)
    {
        await using var scope = server.CreateScope();
        var key = await ServerFixture.Db(scope).Nodes.AsNoTracking().Where(n => n.Owner == user && n.Path == path).Select(n => n.BlobKey).SingleAsync();
        return Assert.IsType<string>(key);
    }

    private async Task<string> PutAsync(string user, string token, string path, int length)
    {
        var body = new byte[length];
        Random.Shared.NextBytes(body);
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/{path}") { Content = content }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {path}: {(int)response.StatusCode}");
        return response.Headers.ETag!.Tag;
    }

    private async Task<HttpStatusCode> StatusAsync(string user, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<string[]> ListAsync(string user, string token, string folder)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{folder}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
        return items.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
    }
}

public sealed class ReconcileTests_Sqlite(SqliteServerFixture server) : ReconcileTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ReconcileTests_Postgres(PostgresServerFixture server) : ReconcileTests(server), IClassFixture<PostgresServerFixture>;

public sealed class ReconcileTests_PostgresS3(PostgresS3ServerFixture server) : ReconcileTests(server), IClassFixture<PostgresS3ServerFixture>;
