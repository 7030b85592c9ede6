using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.History;
using UnhostedStore.Storage;
using static UnhostedStore.IntegrationTests.Files.MoveTestHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// With <c>Storage:VersionRetentionDays=0</c> the old path's removal keeps no version, so after
/// the commit its blob is a candidate for deletion: the reference check must see that the moved
/// document names it and keep it.
/// </summary>
public abstract class MoveWithoutHistoryTests(NoHistoryServerFixture server)
{
    [Fact]
    public async Task After_a_move_every_blob_stays_readable_and_reconcile_finds_no_missing_blob_and_no_orphan()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var documents = Enumerable.Range(0, 40).ToDictionary(i => $"/docs/old/{(i % 2 == 0 ? "sub/" : "")}d{i:D2}", i => (Body(i), Types[i % Types.Length]), StringComparer.Ordinal);
        await PutAllAsync(client, documents);
        var keys = await client.BlobKeysAsync();
        Assert.Equal(20, keys.Count);

        var report = await MoveAsync(server, client.User, "/docs/old/", "/docs/new/");
        Assert.True(report.Completed, report.Failed?.Reason);
        var single = await MoveAsync(server, client.User, "/docs/new/d01", "/elsewhere/d01");
        Assert.True(single.Completed, single.Failed?.Reason);

        Assert.Empty(await client.VersionRowsAsync());
        Assert.Equal(keys, await client.BlobKeysAsync());
        Assert.Superset(keys, await server.StoredBlobKeysAsync());
        foreach (var (path, (body, type)) in documents)
        {
            var moved = path == "/docs/old/d01" ? "/elsewhere/d01" : "/docs/new/" + path["/docs/old/".Length..];
            var served = await client.GetAsync(moved);
            Assert.True(served.Status == HttpStatusCode.OK, $"{moved}: {served.Status}");
            Assert.Equal(body, served.Body);
            Assert.Equal(type, served.ContentType);
        }

        ReconcileReport reconcile;
        await using (var scope = server.CreateScope())
        {
            reconcile = await scope.ServiceProvider.GetRequiredService<BlobReconciler>().RunAsync(repair: false, TimeSpan.Zero, checkRows: true, CancellationToken.None);
        }

        Assert.Empty(reconcile.OrphanBlobs);
        Assert.Empty(reconcile.MissingBlobs);
        Assert.Empty(reconcile.MissingVersionBlobs);
        Assert.Empty(reconcile.UsageDrifts);

        // The moved document is now the blob's only name: deleting it deletes the blob.
        var docs = await DocumentsAsync(server, client.User);
        var key = docs["/elsewhere/d01"].BlobKey!;
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/elsewhere/d01"));
        await Poll.UntilAsync(server.StoredBlobKeysAsync, stored => !stored.Contains(key), TimeSpan.FromSeconds(5), "the blob of the deleted moved document");
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class MoveWithoutHistoryTests_Sqlite(NoHistorySqliteFixture server) : MoveWithoutHistoryTests(server), IClassFixture<NoHistorySqliteFixture>;

public sealed class MoveWithoutHistoryTests_PostgresS3(NoHistoryPostgresS3Fixture server) : MoveWithoutHistoryTests(server), IClassFixture<NoHistoryPostgresS3Fixture>;
