using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.OAuth;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Authorization;

/// <summary>
/// Revocations in this process stay immediate with the validated-token cache
/// (<see cref="ValidatedTokenCache"/>). Every test first uses its token twice and checks that the
/// cache really holds it, then revokes it, then asserts 401: revocations through
/// <see cref="Grants"/> clear the cache synchronously, and so does OpenIddict's own revocation of
/// what a replayed code bought, so the very next request is 401 on every backend. Changes made by
/// another process are in <see cref="ExternalTokenChangeTests"/>.
/// </summary>
public abstract class TokenRevocationTests(ServerFixture server, ITestOutputHelper output) : TokenCacheTestBase
{
    protected override ServerFixture Server => server;

    protected override ITestOutputHelper Output => output;

    // ---- revoked in this process: the very next request is 401 ------------------------------------

    [Fact]
    public async Task A_cached_token_revoked_from_the_account_page_gets_401_on_the_very_next_get()
    {
        var (user, token, grant) = await CachedTokenAsync();

        await using (var scope = server.CreateScope())
        {
            Assert.True(await scope.ServiceProvider.GetRequiredService<Grants>().RevokeByIdAsync(user, grant.AuthorizationId!, CancellationToken.None));
        }

        // Gone from the cache when the revocation returns, without waiting for any notification.
        Assert.False(Cache.TryGet(TokenKey.Of(token), out _));

        using var response = await SendAsync(HttpMethod.Get, user, "notes/a", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", Assert.Single(response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        Assert.False(Cache.TryGet(TokenKey.Of(token), out _));
    }

    [Fact]
    public async Task A_cached_token_revoked_as_the_cli_does_gets_401_on_the_very_next_put_and_nothing_is_stored()
    {
        var (user, token, _) = await CachedTokenAsync();

        await using (var scope = server.CreateScope())
        {
            var revoked = await scope.ServiceProvider.GetRequiredService<Grants>().RevokeAsync(user, TestTokens.Origin, CancellationToken.None);
            Assert.Equal(1, revoked);
        }

        Assert.False(Cache.TryGet(TokenKey.Of(token), out _));

        using (var put = await SendAsync(HttpMethod.Put, user, "notes/after-revoke", token, "must not be stored"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        }

        var checker = await server.Tokens.IssueAsync(user, "notes:r");
        using var get = await SendAsync(HttpMethod.Get, user, "notes/after-revoke", checker);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var original = await SendAsync(HttpMethod.Get, user, "notes/a", checker);
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Equal("seed", await original.Content.ReadAsStringAsync());
    }

    // ---- revoked by OpenIddict itself --------------------------------------------------------------

    /// <summary>
    /// OpenIddict revokes what a replayed code bought, in the token request itself (not through
    /// <see cref="Grants"/>); <see cref="ReplayedCodeCacheHandler"/> empties the cache before the
    /// <c>invalid_grant</c> response goes out, so the very next request is 401 on every backend.
    /// (Without it, PostgreSQL answered the request right after the replay from the cache in about
    /// one round of six: the trigger's notification had not arrived yet.) Several rounds, so that
    /// such a race shows.
    /// </summary>
    [Fact]
    public async Task A_replayed_code_revokes_the_token_it_bought_at_the_very_next_request_even_once_that_token_is_cached()
    {
        for (var round = 0; round < 5; round++)
        {
            using var browser = await OAuthBrowser.LoggedInAsync(server);
            var pkce = Pkce.New();
            var location = await browser.GrantAsync(OAuthQuery.Code(CodeFlowTests.Callback, "notes:rw", pkce, "s"));
            var code = OAuthRedirect.FromQuery(location)["code"] ?? throw new InvalidOperationException("no code in " + location);
            string token;
            using (var first = await RedeemAsync(code, pkce.Verifier))
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
                using var json = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
                token = json.RootElement.GetProperty("access_token").GetString()!;
            }

            await WaitUntilCacheIsLiveAsync();
            for (var i = 0; i < 2; i++)
            {
                using var use = await SendAsync(HttpMethod.Get, browser.User, "notes/", token);
                Assert.Equal(HttpStatusCode.OK, use.StatusCode);
            }

            Assert.True(Cache.TryGet(TokenKey.Of(token), out _), "the bought token is in the cache before the replay");

            using (var replay = await RedeemAsync(code, pkce.Verifier))
            {
                Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
            }

            using var next = await SendAsync(HttpMethod.Get, browser.User, "notes/", token);
            Assert.True(next.StatusCode == HttpStatusCode.Unauthorized, $"round {round + 1}: the request right after the replay got {(int)next.StatusCode}");
        }
    }

    private async Task<HttpResponseMessage> RedeemAsync(string code, string verifier)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = CodeFlowTests.Callback,
            ["client_id"] = CodeFlowTests.App,
            ["code_verifier"] = verifier,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, OAuthQuery.TokenPath) { Content = new FormUrlEncodedContent(form) };
        return await server.Client.SendAsync(request);
    }
}

public sealed class TokenRevocationTests_Sqlite(SqliteServerFixture server, ITestOutputHelper output)
    : TokenRevocationTests(server, output), IClassFixture<SqliteServerFixture>;

public sealed class TokenRevocationTests_Postgres(PostgresServerFixture server, ITestOutputHelper output)
    : TokenRevocationTests(server, output), IClassFixture<PostgresServerFixture>;
