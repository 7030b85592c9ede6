using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.MultiInstance;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// The window between a revocation's commit and the moment an instance's validated-token cache
/// hears of it (a PostgreSQL notification, about a millisecond later), held open for good: the
/// grant or the token is revoked in the database with its triggers off
/// (<c>session_replication_role = replica</c>), and the change counter moved by hand in the same
/// transaction, as the triggers would, so no notification is ever sent and the serving
/// instance's cache keeps the token as valid. Every request that arrives after the revocation
/// must still be refused, reads and writes alike, and no write may be stored.
/// </summary>
public abstract class RevocationWindowTests(ServerFixture server)
{
    /// <summary>The instance whose cache is left stale and that answers the requests.</summary>
    protected virtual Uri Instance => server.InProcessAddress;

    /// <summary>Whether <see cref="Instance"/> runs in this process, whose cache the test can see.</summary>
    protected virtual bool InProcess => true;

    [Theory]
    [InlineData("OpenIddictTokens")]
    [InlineData("OpenIddictAuthorizations")]
    public async Task A_revocation_whose_notification_never_arrives_still_refuses_reads_and_writes_with_401_and_stores_nothing(string table)
    {
        var user = ServerFixture.NewUser();
        var writer = await server.Tokens.IssueAsync(user, "notes:rw");
        using var http = new HttpClient { BaseAddress = Instance };
        using (var seed = await SendAsync(http, HttpMethod.Put, $"/storage/{user}/notes/a", writer, "one"))
        {
            Assert.Equal(HttpStatusCode.Created, seed.StatusCode);
        }

        using (var seedPublic = await SendAsync(http, HttpMethod.Put, $"/storage/{user}/public/notes/p", writer, "for all"))
        {
            Assert.Equal(HttpStatusCode.Created, seedPublic.StatusCode);
        }

        if (InProcess)
        {
            // A fixture that has just started may not be listening yet, and its cache then keeps nothing.
            var live = server.Services.GetRequiredService<ValidatedTokenCache>();
            await Faults.Poll.UntilAsync(() => Task.FromResult(live.IsLive), l => l, TimeSpan.FromSeconds(30), "the token cache to go live");
        }

        // One token per kind of request: a refusal makes the cache forget the token it refused.
        var tokens = new string[5];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = await server.Tokens.IssueAsync(user, "notes:rw");
        }
        foreach (var token in tokens)
        {
            using var warm = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/notes/a", token);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await RevokeSilentlyAsync(table, user);
        if (InProcess)
        {
            // The window is really open: the cache still holds every token as valid.
            var cache = server.Services.GetRequiredService<ValidatedTokenCache>();
            Assert.All(tokens, t => Assert.True(cache.TryGet(TokenKey.Of(t), out _), "the cache no longer holds the token"));
        }

        using (var get = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/notes/a", tokens[0]))
        {
            AssertInvalidToken(get);
        }

        using (var list = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/notes/", tokens[1]))
        {
            AssertInvalidToken(list);
        }

        using (var put = await SendAsync(http, HttpMethod.Put, $"/storage/{user}/notes/a", tokens[2], "changed"))
        {
            AssertInvalidToken(put);
        }

        using (var create = await SendAsync(http, HttpMethod.Put, $"/storage/{user}/notes/b", tokens[3], "new"))
        {
            AssertInvalidToken(create);
        }

        // A public document is read as with any invalid token: as anyone reads it.
        using (var shared = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/public/notes/p", tokens[4]))
        {
            Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
            Assert.Equal("for all", await shared.Content.ReadAsStringAsync());
        }

        // Refused tokens are forgotten: the next request is refused by a full validation.
        using (var again = await SendAsync(http, HttpMethod.Delete, $"/storage/{user}/notes/a", tokens[0]))
        {
            AssertInvalidToken(again);
        }

        // Nothing was written: the document keeps its bytes, the new one does not exist.
        var reader = await server.Tokens.IssueAsync(user, "notes:r");
        using (var after = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/notes/a", reader))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            Assert.Equal("one", await after.Content.ReadAsStringAsync());
        }

        using (var missing = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/notes/b", reader))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }

    [Fact]
    public async Task A_write_whose_token_is_revoked_while_it_waits_for_the_users_lock_is_refused_with_401_and_stores_nothing()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        using var http = new HttpClient { BaseAddress = Instance };
        using (var seed = await SendAsync(http, HttpMethod.Put, $"/storage/{user}/notes/a", token, "one"))
        {
            Assert.Equal(HttpStatusCode.Created, seed.StatusCode);
        }

        // Hold the user's write lock (the account row), send a write that was authenticated
        // before the revocation, revoke while it waits (the notification does arrive), release.
        await using var holder = new NpgsqlConnection(server.PostgresConnectionString);
        await holder.OpenAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await Exec(holder, """SELECT 1 FROM "StorageAccounts" WHERE "UserName" = @user FOR UPDATE""", user, tx);
        var put = SendAsync(http, HttpMethod.Put, $"/storage/{user}/notes/a", token, "changed");
        await WaitForLockWaiterAsync(user);
        server.Tokens.Revoke(token);
        await tx.CommitAsync();

        using var response = await put;
        AssertInvalidToken(response);
        var reader = await server.Tokens.IssueAsync(user, "notes:r");
        using var after = await SendAsync(http, HttpMethod.Get, $"/storage/{user}/notes/a", reader);
        Assert.Equal("one", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_statement_that_revokes_several_tokens_notifies_each_id_and_then_the_moved_counter_which_the_instance_catches_up_with()
    {
        var user = ServerFixture.NewUser();
        var tokens = new[] { await server.Tokens.IssueAsync(user, "notes:rw"), await server.Tokens.IssueAsync(user, "notes:r") };
        await using var listener = new NpgsqlConnection(server.PostgresConnectionString);
        await listener.OpenAsync();
        var heard = new List<(string Channel, string Payload)>();
        listener.Notification += (_, e) => heard.Add((e.Channel, e.Payload));
        await Exec(listener, $"LISTEN {AuthChangeFeeds.PostgresChannel}; LISTEN {AuthChangeFeeds.PostgresEpochChannel}", null);

        await using var revoker = new NpgsqlConnection(server.PostgresConnectionString);
        await revoker.OpenAsync();
        Assert.Equal(2, await Exec(revoker, """UPDATE "OpenIddictTokens" SET "Status" = 'revoked' WHERE "Subject" = @user""", user));
        await using var read = new NpgsqlCommand("""SELECT "Epoch" FROM "AuthEpoch" WHERE "Id" = 1""", revoker);
        var epoch = (long)(await read.ExecuteScalarAsync())!;

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!heard.Any(h => h.Channel == AuthChangeFeeds.PostgresEpochChannel && h.Payload == $"{epoch}") && DateTime.UtcNow < deadline)
        {
            await listener.WaitAsync(TimeSpan.FromMilliseconds(200));
        }

        // Other tests' changes may be heard too; this statement's own are two ids, then its counter.
        var ids = heard.FindIndex(h => h.Channel == AuthChangeFeeds.PostgresEpochChannel && h.Payload == $"{epoch}");
        Assert.True(ids >= 2, $"the counter {epoch} was not heard after two ids: {string.Join(", ", heard)}");
        Assert.All(heard.Take(ids).TakeLast(2), h => Assert.Equal(AuthChangeFeeds.PostgresChannel, h.Channel));

        if (InProcess)
        {
            // The serving instance counts the change as handled, so its next reads skip the token check.
            var feed = server.Services.GetRequiredService<IAuthChangeFeed>();
            while (feed.HandledEpoch < epoch && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.True(feed.HandledEpoch >= epoch, $"the instance handled changes up to {feed.HandledEpoch}, not {epoch}");
        }
    }

    private static void AssertInvalidToken(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.GetValues("WWW-Authenticate"));
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);
    }

    /// <summary>Revokes every row of the user in <paramref name="table"/> with triggers off, so
    /// that no instance is notified, and moves the change counter in the same commit.</summary>
    private async Task RevokeSilentlyAsync(string table, string user)
    {
        await using var connection = new NpgsqlConnection(server.PostgresConnectionString);
        await connection.OpenAsync();
        await Exec(connection, "SET session_replication_role = replica", null);
        await using var tx = await connection.BeginTransactionAsync();
        var changed = await Exec(connection, $"""UPDATE "{table}" SET "Status" = 'revoked' WHERE "Subject" = @user""", user, tx);
        Assert.True(changed > 0, $"no row of {table} revoked");
        Assert.Equal(1, await Exec(connection, """UPDATE "AuthEpoch" SET "Epoch" = "Epoch" + 1 WHERE "Id" = 1""", null, tx));
        await tx.CommitAsync();
    }

    /// <summary>Waits until some session waits for a lock (the write, on the account row).</summary>
    private async Task WaitForLockWaiterAsync(string user)
    {
        await using var connection = new NpgsqlConnection(server.PostgresConnectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = new NpgsqlCommand("""SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE '%StorageAccounts%'""", connection);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"the write of {user} never waited for the account row");
    }

    private static async Task<int> Exec(NpgsqlConnection connection, string sql, string? user, NpgsqlTransaction? tx = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        if (user is not null)
        {
            command.Parameters.AddWithValue("user", user);
        }

        return await command.ExecuteNonQueryAsync();
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body, MediaTypeHeaderValue.Parse("text/plain"));
        }

        return http.SendAsync(request);
    }
}

public sealed class RevocationWindowTests_Postgres(PostgresServerFixture server) : RevocationWindowTests(server), IClassFixture<PostgresServerFixture>;

/// <summary>The requests go to instance B, a process of its own; the revocation is made in the database.</summary>
[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class RevocationWindowTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : RevocationWindowTests(server)
{
    protected override Uri Instance => server.B.BaseAddress;

    protected override bool InProcess => false;
}

/// <summary>Reads not coalesced (<c>Database:ReadRoundTrips</c> 0): the recheck is a statement of its own.</summary>
public sealed class RevocationWindowTests_PostgresUnbatched(UnbatchedReadsPostgresFixture server) : RevocationWindowTests(server), IClassFixture<UnbatchedReadsPostgresFixture>;

public sealed class UnbatchedReadsPostgresFixture() : ServerFixture(Backend.PostgresFileSystem)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) => builder.UseSetting("Database:ReadRoundTrips", "0");
}
