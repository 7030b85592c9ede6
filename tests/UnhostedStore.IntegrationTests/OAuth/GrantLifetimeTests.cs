using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.OAuth;

/// <summary>Grant lifetimes and revocation (draft-26 §10: tokens MAY expire, R18).</summary>
public abstract class GrantLifetimeTests(ServerFixture server)
{
    private const string Callback = "https://life.example/cb";

    [Fact]
    public async Task A_one_day_grant_gives_a_token_that_expires_in_about_a_day()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var fragment = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s"), lifetime: 1));
        var expiresIn = long.Parse(fragment["expires_in"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresIn, 86_400 - 300, 86_400);
        var grant = Assert.Single(await GrantsOfAsync(browser.User));
        Assert.NotNull(grant.ExpiresUtc);
        Assert.InRange(grant.ExpiresUtc!.Value, DateTime.UtcNow.AddDays(1).AddMinutes(-5), DateTime.UtcNow.AddDays(1).AddMinutes(1));
    }

    [Fact]
    public async Task A_grant_until_revoked_has_no_end_date_and_a_long_lived_token()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var fragment = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s"), lifetime: 0));
        var expiresIn = long.Parse(fragment["expires_in"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(expiresIn >= 3649L * 86_400, expiresIn.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(Assert.Single(await GrantsOfAsync(browser.User)).ExpiresUtc);
    }

    [Fact]
    public async Task A_lifetime_that_is_not_offered_shows_the_page_again_and_grants_nothing()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var form = await browser.ConsentAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s"));
        using var response = await browser.DecideAsync(form, "allow", lifetime: 7);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Choose how long", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await GrantsOfAsync(browser.User));
    }

    [Fact]
    public async Task A_token_past_its_expiry_is_refused_with_invalid_token()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        Assert.Equal(HttpStatusCode.OK, (await GetNotesAsync(user, token)).StatusCode);

        // A day passes: the token and its one-day grant end.
        await using (var scope = server.CreateScope())
        {
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
            var entry = await tokens.FindByReferenceIdAsync(token) ?? throw new InvalidOperationException("token entry not found");
            var descriptor = new OpenIddictTokenDescriptor();
            await tokens.PopulateAsync(descriptor, entry);
            descriptor.ExpirationDate = DateTimeOffset.UtcNow.AddMinutes(-10);
            await tokens.UpdateAsync(entry, descriptor);
            await MoveGrantExpiryAsync(scope.ServiceProvider, (await tokens.GetAuthorizationIdAsync(entry))!, DateTimeOffset.UtcNow.AddMinutes(-10));
        }

        using var response = await GetNotesAsync(user, token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.StartsWith("Bearer", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_grant_is_not_remembered_and_not_listed()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        _ = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s"), lifetime: 1);
        var grant = Assert.Single(await GrantsOfAsync(browser.User));

        await using (var scope = server.CreateScope())
        {
            await MoveGrantExpiryAsync(scope.ServiceProvider, grant.AuthorizationId, DateTimeOffset.UtcNow.AddSeconds(-1));
        }

        Assert.Empty(await GrantsOfAsync(browser.User));
        using var again = await browser.AuthorizeAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("value=\"allow\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_an_apps_grants_refuses_its_very_next_request()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var token = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s")))["access_token"]!;
        var otherApp = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit("https://kept.example/cb", "notes:r", "s")))["access_token"]!;
        Assert.Equal(HttpStatusCode.OK, (await GetNotesAsync(browser.User, token)).StatusCode);

        await using (var scope = server.CreateScope())
        {
            var revoked = await scope.ServiceProvider.GetRequiredService<Grants>().RevokeAsync(browser.User, "https://life.example", CancellationToken.None);
            Assert.Equal(1, revoked);
        }

        using var response = await GetNotesAsync(browser.User, token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString())), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetNotesAsync(browser.User, otherApp)).StatusCode);

        // Consent is asked again.
        using var again = await browser.AuthorizeAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Revoking_one_grant_by_id_refuses_its_token_at_once()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var token = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit(Callback, "notes:rw", "s")))["access_token"]!;
        var grant = Assert.Single(await GrantsOfAsync(browser.User));
        await using (var scope = server.CreateScope())
        {
            var grants = scope.ServiceProvider.GetRequiredService<Grants>();

            // Someone else's grant id does nothing.
            Assert.False(await grants.RevokeByIdAsync(ServerFixture.NewUser(), grant.AuthorizationId, CancellationToken.None));
            Assert.Equal(HttpStatusCode.OK, (await GetNotesAsync(browser.User, token)).StatusCode);
            Assert.True(await grants.RevokeByIdAsync(browser.User, grant.AuthorizationId, CancellationToken.None));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetNotesAsync(browser.User, token)).StatusCode);
        Assert.Empty(await GrantsOfAsync(browser.User));
    }

    private async Task<HttpResponseMessage> GetNotesAsync(string user, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken(token);
        return await server.Client.SendAsync(request);
    }

    private async Task<IReadOnlyList<GrantInfo>> GrantsOfAsync(string user)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None);
    }

    private static async Task MoveGrantExpiryAsync(IServiceProvider services, string authorizationId, DateTimeOffset expires)
    {
        var authorizations = services.GetRequiredService<IOpenIddictAuthorizationManager>();
        var entry = await authorizations.FindByIdAsync(authorizationId) ?? throw new InvalidOperationException("grant not found");
        var descriptor = new OpenIddictAuthorizationDescriptor();
        await authorizations.PopulateAsync(descriptor, entry);
        descriptor.Properties["us_expires"] = JsonSerializer.SerializeToElement(expires.ToUnixTimeSeconds());
        await authorizations.UpdateAsync(entry, descriptor);
    }
}

public sealed class GrantLifetimeTests_Sqlite(SqliteServerFixture server) : GrantLifetimeTests(server), IClassFixture<SqliteServerFixture>;

public sealed class GrantLifetimeTests_Postgres(PostgresServerFixture server) : GrantLifetimeTests(server), IClassFixture<PostgresServerFixture>;
