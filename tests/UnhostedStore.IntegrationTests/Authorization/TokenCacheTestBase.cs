using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Authorization;

/// <summary>
/// What <see cref="TokenRevocationTests"/> and <see cref="ExternalTokenChangeTests"/> share: a
/// token that storage has accepted twice and that the validated-token cache
/// (<see cref="ValidatedTokenCache"/>) holds, statements run on a connection of their own as
/// another process would, and the check that a changed token is refused.
/// </summary>
public abstract class TokenCacheTestBase
{
    /// <summary>
    /// How long a committed change may take to reach the PostgreSQL listener. The design promises
    /// no number: the migration <c>TokenCacheInvalidation</c> says "delivery is at commit" and
    /// <see cref="AuthChangeFeeds"/> that every instance LISTENs; locally delivery takes well under a
    /// millisecond, so two seconds only leaves room for a loaded test machine.
    /// </summary>
    protected static readonly TimeSpan NotifyDeliveryBound = TimeSpan.FromSeconds(2);

    protected abstract ServerFixture Server { get; }

    protected abstract ITestOutputHelper Output { get; }

    protected bool IsSqlite => Server.Backend == Backend.SqliteFileSystem;

    protected ValidatedTokenCache Cache => Server.Services.GetRequiredService<ValidatedTokenCache>();

    /// <summary>A new user with a seeded document and a notes:rw token that storage has accepted
    /// twice and that the cache holds.</summary>
    protected async Task<(string User, string Token, StorageGrant Grant)> CachedTokenAsync()
    {
        await WaitUntilCacheIsLiveAsync();
        var user = ServerFixture.NewUser();
        var token = await Server.Tokens.IssueAsync(user, "notes:rw");
        using (var put = await SendAsync(HttpMethod.Put, user, "notes/a", token, "seed"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var get = await SendAsync(HttpMethod.Get, user, "notes/a", token);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        Assert.True(Cache.TryGet(TokenKey.Of(token), out var grant), "the token is in the cache after two requests");
        Assert.Equal(user, grant.Subject);
        Assert.NotNull(grant.TokenId);
        Assert.NotNull(grant.AuthorizationId);
        return (user, token, grant);
    }

    /// <summary>PostgreSQL: the listener turns the cache on once it LISTENs (after start, or after
    /// a lost connection). SQLite: the first epoch read does, at the first storage request.</summary>
    protected async Task WaitUntilCacheIsLiveAsync()
    {
        if (IsSqlite)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        while (!Cache.IsLive)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the token-change listener did not turn the cache on within 15 s");
            await Task.Delay(10);
        }
    }

    /// <summary>SQLite: the very next request is 401. PostgreSQL: 401 within <see cref="NotifyDeliveryBound"/>.</summary>
    protected async Task AssertRejectedAfterExternalChangeAsync(string user, string token, string what, string path = "notes/a")
    {
        if (IsSqlite)
        {
            using var response = await SendAsync(HttpMethod.Get, user, path, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        else
        {
            var clock = Stopwatch.StartNew();
            var attempts = 0;
            while (true)
            {
                attempts++;
                using var response = await SendAsync(HttpMethod.Get, user, path, token);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    break;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.True(clock.Elapsed < NotifyDeliveryBound, $"{what}: still accepted {clock.Elapsed.TotalMilliseconds:F0} ms after the commit ({attempts} requests)");
                await Task.Delay(10);
            }

            Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: 401 at request {attempts}, {clock.Elapsed.TotalMilliseconds:F1} ms after the commit"));
            Assert.True(clock.Elapsed < NotifyDeliveryBound);
        }

        Assert.False(Cache.TryGet(TokenKey.Of(token), out _), $"{what}: the token is out of the cache");
        using var again = await SendAsync(HttpMethod.Get, user, path, token);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    protected async Task<HttpResponseMessage> SendAsync(HttpMethod method, string user, string path, string token, string? body = null)
    {
        using var request = new HttpRequestMessage(method, $"/storage/{user}/{path}").WithToken(token);
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }

        return await Server.Client.SendAsync(request);
    }

    /// <summary>A statement on a connection of its own, as another process would run it.</summary>
    protected async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = OpenSeparateConnection();
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        var changed = await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
        return changed;
    }

    protected DbConnection OpenSeparateConnection() => IsSqlite
        ? new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Server.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.SqlitePath,
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString())
        : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server.PostgresConnectionString) { Pooling = false }.ConnectionString);
}
