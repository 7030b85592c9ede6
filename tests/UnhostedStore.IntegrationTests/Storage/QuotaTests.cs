using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>R57: a PUT that would take the user past the quota answers 507 and stores nothing.</summary>
public abstract partial class QuotaTests(QuotaServerFixture server)
{
    private async Task<HttpResponseMessage> PutAsync(string user, string token, string path, int size, string? ifMatch = null)
    {
        var content = new ByteArrayContent(new byte[size]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<(long Bytes, long Documents)> UsageAsync(string user)
    {
        await using var scope = server.CreateScope();
        var account = await ServerFixture.Db(scope).Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        return (account.UsedBytes, account.DocumentCount);
    }

    [Fact]
    public async Task Put_over_the_quota_answers_507_and_leaves_usage_and_data_unchanged()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        using (var first = await PutAsync(user, token, "/files/a", 6_000))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var rootBefore = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/").WithToken(token));
        var rootEtag = rootBefore.Headers.ETag;

        using var rejected = await PutAsync(user, token, "/files/b", 5_000);
        Assert.Equal((HttpStatusCode)507, rejected.StatusCode);
        Assert.Equal((6_000L, 1L), await UsageAsync(user));

        using var missing = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/files/b").WithToken(token));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var rootAfter = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/").WithToken(token));
        Assert.Equal(rootEtag, rootAfter.Headers.ETag);
    }

    [Fact]
    public async Task Replacing_a_document_counts_only_the_difference()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        using (var first = await PutAsync(user, token, "/files/a", 9_000))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var replace = await PutAsync(user, token, "/files/a", 10_000))
        {
            Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        }

        using (var tooBig = await PutAsync(user, token, "/files/a", 10_001))
        {
            Assert.Equal((HttpStatusCode)507, tooBig.StatusCode);
        }

        Assert.Equal((10_000L, 1L), await UsageAsync(user));
        using var get = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/files/a").WithToken(token));
        Assert.Equal(10_000, (await get.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Deleting_frees_quota_for_new_documents()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        using (var first = await PutAsync(user, token, "/files/a", 8_000))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var full = await PutAsync(user, token, "/files/b", 8_000))
        {
            Assert.Equal((HttpStatusCode)507, full.StatusCode);
        }

        using (var delete = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/storage/{user}/files/a").WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        using var again = await PutAsync(user, token, "/files/b", 8_000);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal((8_000L, 1L), await UsageAsync(user));
    }

    [Fact]
    public async Task Sixteen_writers_racing_for_the_last_bytes_never_exceed_the_quota()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        using (var seed = await PutAsync(user, token, "/race/seed", 7_000))
        {
            Assert.Equal(HttpStatusCode.Created, seed.StatusCode);
        }

        // 3,000 bytes are left; each writer wants 1,000, so at most three can win.
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => PutAsync(user, token, $"/race/w{i}", 1_000)));
        var statuses = results.Select(r => (int)r.StatusCode).ToList();
        foreach (var r in results)
        {
            r.Dispose();
        }

        Assert.All(statuses, s => Assert.True(s is 201 or 507, $"unexpected {s}"));
        Assert.Equal(3, statuses.Count(s => s == 201));
        var (bytes, documents) = await UsageAsync(user);
        Assert.Equal(10_000L, bytes);
        Assert.Equal(4L, documents);

        await using var scope = server.CreateScope();
        var stored = await ServerFixture.Db(scope).Nodes.AsNoTracking().Where(n => n.Owner == user && !n.IsFolder).SumAsync(n => n.ContentLength);
        Assert.Equal(10_000L, stored);
    }
}

public abstract partial class QuotaTests
{
    [Fact]
    public async Task A_users_own_quota_overrides_the_default_and_unlimited_lifts_it()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        await using (var scope = server.CreateScope())
        {
            await UnhostedStore.Accounts.UserLock.SetQuotaAsync(scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>(), user, 2_000, CancellationToken.None);
        }

        using (var over = await PutAsync(user, token, "/files/a", 2_001))
        {
            Assert.Equal((HttpStatusCode)507, over.StatusCode);
        }

        using (var fits = await PutAsync(user, token, "/files/a", 2_000))
        {
            Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        }

        await using (var scope = server.CreateScope())
        {
            await UnhostedStore.Accounts.UserLock.SetQuotaAsync(scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>(), user, 0, CancellationToken.None);
        }

        // Unlimited: even past the server's default of 10,000 bytes.
        using (var big = await PutAsync(user, token, "/files/b", 20_000))
        {
            Assert.Equal(HttpStatusCode.Created, big.StatusCode);
        }

        await using (var scope = server.CreateScope())
        {
            await UnhostedStore.Accounts.UserLock.SetQuotaAsync(scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>(), user, null, CancellationToken.None);
        }

        using var backToDefault = await PutAsync(user, token, "/files/c", 100);
        Assert.Equal((HttpStatusCode)507, backToDefault.StatusCode);
        Assert.Equal((22_000L, 2L), await UsageAsync(user));
    }
}

public sealed class QuotaTests_Sqlite(QuotaSqliteFixture server) : QuotaTests(server), IClassFixture<QuotaSqliteFixture>;

public sealed class QuotaTests_Postgres(QuotaPostgresFixture server) : QuotaTests(server), IClassFixture<QuotaPostgresFixture>;

public sealed class QuotaTests_PostgresS3(QuotaPostgresS3Fixture server) : QuotaTests(server), IClassFixture<QuotaPostgresS3Fixture>;
