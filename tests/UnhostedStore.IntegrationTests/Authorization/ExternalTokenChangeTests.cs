using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Authorization;

/// <summary>
/// Changes made by another process (a raw SQL statement on a connection of its own) reach the
/// validated-token cache (<see cref="ValidatedTokenCache"/>, <see cref="AuthChangeFeeds"/>)
/// through the database triggers. Every test first uses its token twice and checks that the
/// cache really holds it, then changes it behind the server's back, then asserts 401. SQLite:
/// the epoch row is read before every lookup, so the very next request is 401. PostgreSQL:
/// <c>pg_notify</c> is delivered at commit to each instance's listener, asynchronously, so the
/// request right after the commit can still race the notification; there the test waits for the
/// 401 (a request every 10 ms, at most <see cref="TokenCacheTestBase.NotifyDeliveryBound"/>) and
/// reports how long it took.
/// </summary>
public abstract class ExternalTokenChangeTests(ServerFixture server, ITestOutputHelper output) : TokenCacheTestBase
{
    protected override ServerFixture Server => server;

    protected override ITestOutputHelper Output => output;

    [Fact]
    public async Task A_cached_token_whose_status_another_process_sets_to_revoked_gets_401()
    {
        var (user, token, grant) = await CachedTokenAsync();
        var changed = await ExecuteAsync("""UPDATE "OpenIddictTokens" SET "Status" = 'revoked' WHERE "Id" = @id""", ("id", grant.TokenId!));
        Assert.Equal(1, changed);
        await AssertRejectedAfterExternalChangeAsync(user, token, "token status set to revoked");
    }

    [Fact]
    public async Task A_cached_token_whose_grant_another_process_sets_to_revoked_gets_401()
    {
        var (user, token, grant) = await CachedTokenAsync();
        var changed = await ExecuteAsync("""UPDATE "OpenIddictAuthorizations" SET "Status" = 'revoked' WHERE "Id" = @id""", ("id", grant.AuthorizationId!));
        Assert.Equal(1, changed);
        await AssertRejectedAfterExternalChangeAsync(user, token, "grant status set to revoked");
    }

    [Fact]
    public async Task A_cached_token_whose_row_another_process_deletes_gets_401()
    {
        var (user, token, grant) = await CachedTokenAsync();
        var changed = await ExecuteAsync("""DELETE FROM "OpenIddictTokens" WHERE "Id" = @id""", ("id", grant.TokenId!));
        Assert.Equal(1, changed);
        await AssertRejectedAfterExternalChangeAsync(user, token, "token row deleted");
    }

    /// <summary>
    /// The foreign key from <c>OpenIddictTokens.AuthorizationId</c> to the grant has no ON DELETE
    /// action (neither cascade nor set null), so a grant row with tokens can't be deleted alone; a
    /// pruning process deletes the grant's tokens and then the grant, in one transaction.
    /// </summary>
    [Fact]
    public async Task A_cached_token_whose_grant_another_process_deletes_with_its_tokens_gets_401()
    {
        var (user, token, grant) = await CachedTokenAsync();
        var changed = await ExecuteAsync(
            """
            DELETE FROM "OpenIddictTokens" WHERE "AuthorizationId" = @id;
            DELETE FROM "OpenIddictAuthorizations" WHERE "Id" = @id;
            """,
            ("id", grant.AuthorizationId!));
        Assert.Equal(2, changed);
        await AssertRejectedAfterExternalChangeAsync(user, token, "grant deleted with its tokens");
    }

    [Fact]
    public async Task Deleting_a_grant_row_that_still_has_tokens_is_refused_by_the_database()
    {
        var (_, _, grant) = await CachedTokenAsync();
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(
            """DELETE FROM "OpenIddictAuthorizations" WHERE "Id" = @id""", ("id", grant.AuthorizationId!)));
    }

    [Fact]
    public async Task A_cached_token_whose_expiry_another_process_moves_into_the_past_gets_401()
    {
        var (user, token, grant) = await CachedTokenAsync();
        Assert.True(grant.ExpiresUtc > DateTimeOffset.UtcNow.AddMinutes(1), "the cached grant is not about to expire by itself");
        var changed = await ExecuteAsync(
            """UPDATE "OpenIddictTokens" SET "ExpirationDate" = @past WHERE "Id" = @id""",
            ("id", grant.TokenId!),
            ("past", DateTime.UtcNow.AddMinutes(-5)));
        Assert.Equal(1, changed);
        await AssertRejectedAfterExternalChangeAsync(user, token, "token expiry moved into the past");
    }

    [Fact]
    public async Task A_change_to_another_token_does_not_stop_a_cached_token_from_working()
    {
        var (user, token, _) = await CachedTokenAsync();
        var (_, _, otherGrant) = await CachedTokenAsync();
        Assert.Equal(1, await ExecuteAsync("""UPDATE "OpenIddictTokens" SET "Status" = 'revoked' WHERE "Id" = @id""", ("id", otherGrant.TokenId!)));

        using var response = await SendAsync(HttpMethod.Get, user, "notes/a", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public sealed class ExternalTokenChangeTests_Sqlite(SqliteServerFixture server, ITestOutputHelper output)
    : ExternalTokenChangeTests(server, output), IClassFixture<SqliteServerFixture>;

public sealed class ExternalTokenChangeTests_Postgres(PostgresServerFixture server, ITestOutputHelper output)
    : ExternalTokenChangeTests(server, output), IClassFixture<PostgresServerFixture>
{
    /// <summary>
    /// The listener's connection dies (here: terminated by the server) and a token is revoked right
    /// after, by another process: that notification is lost, so the cache must not answer for that
    /// token any more, and the very next request must be 401. Once the listener is back, the cache
    /// works again.
    /// <para>Known to fail intermittently: the listener learns of the lost connection only when its
    /// pending read fails, measured 10–70 ms after <c>pg_terminate_backend</c> returned on the
    /// 2-core test machine; a request arriving before that is answered from the cache (3 of 20
    /// rounds in one probe). The test is kept strict on purpose; see the branch's report.</para>
    /// </summary>
    [Fact]
    public async Task Revocations_made_while_the_listener_connection_is_down_are_seen_at_the_very_next_request()
    {
        // Between a connection's death and the listener noticing it (an error from the socket,
        // or at worst the 1 s ping and its 2 s timeout) the cache can't know what it missed:
        // that window is inherent to any notification feed and is stated in the benchmark
        // results. What must hold is that once the loss is noticed, the cache is off and emptied,
        // so every revocation made while the feed is down counts at the very next request.
        const int Rounds = 5;
        string? user = null, token = null;
        for (var round = 0; round < Rounds; round++)
        {
            StorageGrant grant;
            (user, token, grant) = await CachedTokenAsync();
            await using (var connection = OpenSeparateConnection())
            {
                await connection.OpenAsync();
                await using var kill = connection.CreateCommand();
                kill.CommandText = """
                    SELECT count(*) FROM (
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE application_name = 'unhostedstore-auth-listener' AND datname = current_database()) AS killed
                    """;
                Assert.Equal(1L, await kill.ExecuteScalarAsync());
                var clock = Stopwatch.StartNew();
                while (Cache.IsLive && clock.Elapsed < TimeSpan.FromSeconds(5))
                {
                    await Task.Delay(1);
                }

                Assert.False(Cache.IsLive, "the listener did not notice its connection was killed within 5 s");
                Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: loss noticed after {clock.Elapsed.TotalMilliseconds:F1} ms"));
                await using var revoke = connection.CreateCommand();
                revoke.CommandText = """UPDATE "OpenIddictTokens" SET "Status" = 'revoked' WHERE "Id" = @id""";
                revoke.Parameters.Add(new NpgsqlParameter("id", grant.TokenId!));
                Assert.Equal(1, await revoke.ExecuteNonQueryAsync());
            }

            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(user, token));
            await WaitUntilCacheIsLiveAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(user, token));
        }

        // Back: a fresh token is cached again, the revoked ones stay refused.
        var (_, fresh, _) = await CachedTokenAsync();
        Assert.True(Cache.TryGet(TokenKey.Of(fresh), out _));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(user!, token!));
    }

    private async Task<HttpStatusCode> StatusAsync(string user, string token)
    {
        using var response = await SendAsync(HttpMethod.Get, user, "notes/a", token);
        return response.StatusCode;
    }
}
