using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Many simultaneous conditional writes of one document (If-Match, If-None-Match: *): exactly
/// one wins, every loser gets 412 (or 404) with the winner's version, and the counters and blobs
/// stay consistent.
/// </summary>
public abstract class ConcurrentPreconditionTests(ServerFixture server) : ConcurrencyTestBase
{
    protected override ServerFixture Server => server;

    [Fact]
    public async Task Thirty_two_parallel_puts_with_the_same_if_match_give_one_success_and_31_precondition_failures()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var url = $"/storage/{user}/notes/race";
        var original = await PutAsync(server.Client, token, url, "original");
        Assert.Equal(HttpStatusCode.Created, original.Status);

        using var client = NewParallelClient();
        const int n = 32;
        var gate = new StartGate(n);
        var bodies = Enumerable.Range(0, n).Select(i => $"version {i} of the document").ToArray();
        var results = await Task.WhenAll(bodies.Select(body => PutAsync(client, token, url, body, ifMatch: original.ETag, gate: gate)));

        Assert.True(gate.AllStarted, "all 32 uploads must be in flight before any body is sent");
        var winners = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        Assert.Single(winners);
        Assert.Equal(n - 1, results.Count(r => r.Status == HttpStatusCode.PreconditionFailed));
        var winner = winners[0];
        Assert.NotNull(winner.ETag);
        Assert.NotEqual(original.ETag, winner.ETag);

        // Every loser ran after the winner committed, so it reports the winner's version.
        Assert.All(results.Where(r => r.Status == HttpStatusCode.PreconditionFailed), r => Assert.Equal(winner.ETag, r.ETag));

        var stored = await GetAsync(server.Client, token, url);
        Assert.Equal(HttpStatusCode.OK, stored.Status);
        Assert.Equal(winner.ETag, stored.ETag);
        Assert.Equal(winner.Body, stored.Text);
        await AssertBlobsMatchRowsAsync();
    }

    [Fact]
    public async Task Parallel_if_none_match_star_creates_of_one_new_document_give_one_201_and_the_rest_412()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var url = $"/storage/{user}/notes/new/doc";

        using var client = NewParallelClient();
        const int n = 24;
        var gate = new StartGate(n);
        var results = await Task.WhenAll(Enumerable.Range(0, n)
            .Select(i => PutAsync(client, token, url, $"creator {i}", ifNoneMatch: "*", gate: gate)));

        Assert.True(gate.AllStarted);
        var winners = results.Where(r => r.Status == HttpStatusCode.Created).ToList();
        Assert.Single(winners);
        Assert.Equal(n - 1, results.Count(r => r.Status == HttpStatusCode.PreconditionFailed));
        Assert.All(results.Where(r => r.Status == HttpStatusCode.PreconditionFailed), r => Assert.Equal(winners[0].ETag, r.ETag));

        var stored = await GetAsync(server.Client, token, url);
        Assert.Equal(winners[0].ETag, stored.ETag);
        Assert.Equal(winners[0].Body, stored.Text);

        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        Assert.Equal(1, account.DocumentCount);
        Assert.Equal(Encoding.UTF8.GetByteCount(winners[0].Body), account.UsedBytes);
        var folder = await db.Nodes.AsNoTracking().SingleAsync(x => x.Owner == user && x.Path == "/notes/new/");
        Assert.Equal(1, folder.ChildCount);
        await AssertBlobsMatchRowsAsync();
    }

    [Fact]
    public async Task Parallel_deletes_with_the_same_if_match_give_one_200_and_the_rest_412_or_404()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var url = $"/storage/{user}/notes/doomed/doc";
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(server.Client, token, $"/storage/{user}/notes/keep", "keep")).Status);
        var created = await PutAsync(server.Client, token, url, "to be deleted");
        Assert.Equal(HttpStatusCode.Created, created.Status);

        using var client = NewParallelClient();
        const int n = 24;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, n).Select(async _ =>
        {
            await start.Task;
            return await DeleteAsync(client, token, url, ifMatch: created.ETag);
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(tasks);

        var winners = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        Assert.Single(winners);
        Assert.Equal(created.ETag, winners[0].ETag);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Contains(r.Status, new[] { HttpStatusCode.PreconditionFailed, HttpStatusCode.NotFound }));

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(server.Client, token, url)).Status);
        var notes = await ListAsync(server.Client, token, $"/storage/{user}/notes/");
        Assert.Equal(["keep"], notes.Items.Keys.Order(StringComparer.Ordinal));

        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        Assert.Equal(1, account.DocumentCount);
        Assert.Equal(4, account.UsedBytes);
        Assert.False(await db.Nodes.AnyAsync(x => x.Owner == user && x.Path.StartsWith("/notes/doomed")));
        await AssertBlobsMatchRowsAsync();
    }
}

public sealed class ConcurrentPreconditionTests_Sqlite(SqliteServerFixture server) : ConcurrentPreconditionTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ConcurrentPreconditionTests_Postgres(PostgresServerFixture server) : ConcurrentPreconditionTests(server), IClassFixture<PostgresServerFixture>;

public sealed class ConcurrentPreconditionTests_PostgresS3(PostgresS3ServerFixture server) : ConcurrentPreconditionTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class ConcurrentPreconditionTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : ConcurrentPreconditionTests(server);
