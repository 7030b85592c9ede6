using System.Net;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>
/// Retained versions count toward the quota (<see cref="QuotaServerFixture.QuotaBytes"/>, 10,000
/// bytes) but give way: a write that needs their room purges the oldest first, and gets 507 only
/// when the documents alone would pass the quota.
/// </summary>
public abstract class HistoryQuotaTests(QuotaServerFixture server)
{
    [Fact]
    public async Task History_counts_toward_the_quota_and_the_oldest_is_purged_before_a_write_would_get_507()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/files/a", HistoryTestClient.Bytes(4_000, 1), "application/octet-stream")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/files/a", HistoryTestClient.Bytes(3_000, 2), "application/octet-stream")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/files/b", HistoryTestClient.Bytes(1_000, 3), "application/octet-stream")).Status);
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/files/b"));
        var account = await client.AccountAsync();
        Assert.Equal((3_000L, 5_000L), (account.UsedBytes, account.HistoryBytes));
        var rows = await client.VersionRowsAsync();
        var (oldest, newer) = (rows[0], rows[1]);
        Assert.Equal((4_000L, 1_000L), (oldest.ContentLength, newer.ContentLength));

        // 3,000 + 4,500 of documents fit; with 5,000 of history they would not: the oldest
        // version (4,000) goes, which is enough, so the newer one (the trash) stays.
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/files/c", HistoryTestClient.Bytes(4_500, 4), "application/octet-stream")).Status);
        account = await client.AccountAsync();
        Assert.Equal((7_500L, 1_000L), (account.UsedBytes, account.HistoryBytes));
        Assert.Equal([newer.Id], (await client.VersionRowsAsync()).Select(v => v.Id));
        await Poll.UntilAsync(server.StoredBlobKeysAsync, keys => !keys.Contains(oldest.BlobKey!), TimeSpan.FromSeconds(5), "the purged version's blob deleted");
        Assert.Contains(newer.BlobKey!, await server.StoredBlobKeysAsync());
        await client.AssertHistoryBytesAsync();

        // An overwrite whose own replaced version does not fit keeps it not: 7,500 + 2,400
        // of documents fit, the 1,000 of trash and the replaced 4,500 do not.
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/files/c", HistoryTestClient.Bytes(6_900, 5), "application/octet-stream")).Status);
        account = await client.AccountAsync();
        Assert.Equal((9_900L, 0L), (account.UsedBytes, account.HistoryBytes));
        Assert.Empty(await client.VersionRowsAsync());
        Assert.Equal(HistoryTestClient.Bytes(6_900, 5), (await client.GetAsync("/files/c")).Body);
    }

    [Fact]
    public async Task A_write_the_documents_alone_would_take_past_the_quota_gets_507_and_purges_nothing()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/files/a", HistoryTestClient.Bytes(6_000, 1), "application/octet-stream")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/files/b", HistoryTestClient.Bytes(2_000, 2), "application/octet-stream")).Status);
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/files/b"));
        var before = await client.VersionRowsAsync();

        using (var full = await PutRawAsync(client, "/files/c", 4_001))
        {
            Assert.Equal((HttpStatusCode)507, full.StatusCode);
        }

        var account = await client.AccountAsync();
        Assert.Equal((6_000L, 2_000L), (account.UsedBytes, account.HistoryBytes));
        Assert.Equal(before.Select(v => v.Id), (await client.VersionRowsAsync()).Select(v => v.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/files/c")).Status);

        // A restore fits the quota its version was kept under (it was counted already); under a
        // quota lowered since, it is refused in words, and nothing changes.
        await SetQuotaAsync(client.User, 7_000);
        var trash = Assert.Single(await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.Root)));
        var refused = await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, trash.VersionId, HistoryLabels.AccountPage));
        Assert.Equal(RestoreStatus.QuotaExceeded, refused.Status);
        Assert.Contains("quota", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/files/b")).Status);

        await SetQuotaAsync(client.User, null);
        Assert.Equal(RestoreStatus.Restored, (await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, trash.VersionId, HistoryLabels.AccountPage))).Status);
        Assert.Equal(HistoryTestClient.Bytes(2_000, 2), (await client.GetAsync("/files/b")).Body);
        await client.AssertHistoryBytesAsync();
    }

    private async Task SetQuotaAsync(string user, long? bytes)
    {
        await using var scope = server.CreateScope();
        await UnhostedStore.Accounts.UserLock.SetQuotaAsync(ServerFixture.Db(scope), user, bytes, CancellationToken.None);
    }

    private async Task<HttpResponseMessage> PutRawAsync(HistoryTestClient client, string path, int size)
    {
        var content = new ByteArrayContent(new byte[size]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{client.User}{path}") { Content = content }.WithToken(client.Token);
        return await server.Client.SendAsync(request);
    }
}

public sealed class HistoryQuotaTests_Sqlite(QuotaSqliteFixture server) : HistoryQuotaTests(server), IClassFixture<QuotaSqliteFixture>;

public sealed class HistoryQuotaTests_Postgres(QuotaPostgresFixture server) : HistoryQuotaTests(server), IClassFixture<QuotaPostgresFixture>;

public sealed class HistoryQuotaTests_PostgresS3(QuotaPostgresS3Fixture server) : HistoryQuotaTests(server), IClassFixture<QuotaPostgresS3Fixture>;
