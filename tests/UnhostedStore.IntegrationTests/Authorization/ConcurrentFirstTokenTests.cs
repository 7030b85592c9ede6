using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Origins;

namespace UnhostedStore.IntegrationTests.Authorization;

/// <summary>
/// Apps are identified by origin and their application entry is made on first sight, so the
/// first requests of a new app may well arrive together (two tabs, a script issuing tokens for
/// many users at once). None of them may fail because another made the entry first.
/// </summary>
public abstract class ConcurrentFirstTokenTests(ServerFixture server)
{
    [Fact]
    public async Task Sixteen_tokens_issued_at_once_for_an_origin_never_seen_before_all_work_and_share_one_application()
    {
        Assert.True(ClientOrigin.TryParse("https://first-sight-" + Guid.NewGuid().ToString("N")[..8] + ".example", out var origin, out _));
        Assert.True(ScopeSet.TryParse("notes:rw", out var scopes));
        var users = Enumerable.Range(0, 16).Select(_ => ServerFixture.NewUser()).ToList();
        await using (var setup = server.Services.CreateAsyncScope())
        {
            foreach (var user in users)
            {
                await TestTokens.EnsureAccountAsync(setup.ServiceProvider, user);
            }
        }

        var issued = await Task.WhenAll(users.Select(user => Task.Run(async () =>
        {
            await using var scope = server.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<OperatorTokens>().IssueAsync(user, scopes, origin!, 1, CancellationToken.None);
        })));

        Assert.Equal(16, issued.Select(t => t.AccessToken).Distinct().Count());
        var applications = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            ClientApplications.EnsureAsync(server.Services.GetRequiredService<IServiceScopeFactory>(), origin!.Value, CancellationToken.None)));
        Assert.Single(applications.Distinct());

        for (var i = 0; i < users.Count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{users[i]}/notes/first")
            {
                Content = new StringContent("hello", System.Text.Encoding.UTF8, "text/plain"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", issued[i].AccessToken);
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        }
    }
}

public sealed class ConcurrentFirstTokenTests_Sqlite(SqliteServerFixture server) : ConcurrentFirstTokenTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ConcurrentFirstTokenTests_Postgres(PostgresServerFixture server) : ConcurrentFirstTokenTests(server), IClassFixture<PostgresServerFixture>;
