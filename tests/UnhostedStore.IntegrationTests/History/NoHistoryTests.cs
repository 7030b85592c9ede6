using System.Net;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.History;

/// <summary><c>Storage:VersionRetentionDays=0</c>: no history at all, as before it existed.</summary>
public abstract class NoHistoryTests(NoHistoryServerFixture server)
{
    [Fact]
    public async Task Overwrites_and_deletes_keep_no_version_and_delete_the_old_blob_after_the_commit()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/a", HistoryTestClient.Bytes(2_000, 1), "text/plain")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/b", HistoryTestClient.Bytes(3_000, 2), "text/plain")).Status);
        var keys = await client.BlobKeysAsync();
        Assert.Equal(2, keys.Count);

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/notes/a", HistoryTestClient.Bytes(2_001, 3), "text/plain")).Status);
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/notes/b"));

        Assert.Empty(await client.VersionRowsAsync());
        Assert.Equal(0L, (await client.AccountAsync()).HistoryBytes);
        await Poll.UntilAsync(server.StoredBlobKeysAsync, stored => !stored.Overlaps(keys), TimeSpan.FromSeconds(5), "old blobs deleted");
        Assert.Contains(Assert.Single(await client.BlobKeysAsync()), await server.StoredBlobKeysAsync());

        var versions = await client.HistoryAsync(h => h.ListVersionsAsync(client.User, StoragePath.FromStored("/notes/a")));
        Assert.NotNull(versions.Current);
        Assert.Empty(versions.Retained);
        Assert.Empty(await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.Root)));
        Assert.Equal(HistoryTestClient.Bytes(2_001, 3), (await client.GetAsync("/notes/a")).Body);
    }
}

public sealed class NoHistoryTests_Sqlite(NoHistorySqliteFixture server) : NoHistoryTests(server), IClassFixture<NoHistorySqliteFixture>;

public sealed class NoHistoryTests_Postgres(NoHistoryPostgresFixture server) : NoHistoryTests(server), IClassFixture<NoHistoryPostgresFixture>;

public sealed class NoHistoryTests_PostgresS3(NoHistoryPostgresS3Fixture server) : NoHistoryTests(server), IClassFixture<NoHistoryPostgresS3Fixture>;
