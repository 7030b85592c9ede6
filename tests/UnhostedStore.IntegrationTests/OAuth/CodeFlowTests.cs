using System.Net;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.OAuth;

/// <summary>Authorization code + PKCE (draft-26 §10.1; RFC 7636): R20–R23.</summary>
public abstract class CodeFlowTests(ServerFixture server)
{
    public const string App = "https://pkce.example";

    public const string Callback = App + "/app/";

    [Fact]
    public async Task A_code_request_with_an_s256_challenge_redirects_with_code_and_state_in_the_query()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Code(Callback, "notes:rw", Pkce.New(), ImplicitFlowTests.TrickyState));
        Assert.StartsWith(Callback + "?", location.OriginalString, StringComparison.Ordinal);
        var query = OAuthRedirect.FromQuery(location);
        Assert.False(string.IsNullOrEmpty(query["code"]));
        Assert.Equal(ImplicitFlowTests.TrickyState, query["state"]);
        Assert.Null(query["access_token"]);
        Assert.All(query.RawPairs, p => Assert.DoesNotContain('=', p.Value));
        Assert.True(string.IsNullOrEmpty(location.Fragment));
    }

    [Fact]
    public async Task The_code_and_verifier_buy_a_bearer_token_with_cors_that_works_on_storage()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var pkce = Pkce.New();
        var code = await CodeAsync(browser, pkce);
        using var response = await TokenAsync(code, Callback, pkce.Verifier, clientId: "anything-at-all");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        using var json = JsonDocument.Parse(body);
        var token = json.RootElement.GetProperty("access_token").GetString()!;
        Assert.Equal("bearer", json.RootElement.GetProperty("token_type").GetString(), ignoreCase: true);
        Assert.True(token.Length >= 43);

        using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{browser.User}/notes/a") { Content = new StringContent("x") }.WithToken(token);
        using var putResponse = await server.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.Created, putResponse.StatusCode);
        using var other = new HttpRequestMessage(HttpMethod.Get, $"/storage/{browser.User}/contacts/").WithToken(token);
        using var otherResponse = await server.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, otherResponse.StatusCode);
    }

    [Fact]
    public async Task A_preflight_for_the_token_endpoint_is_allowed_from_any_origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, OAuthQuery.TokenPath);
        request.Headers.TryAddWithoutValidation("Origin", "https://pkce.example");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "content-type");
        using var response = await server.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("POST", string.Join(',', response.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_verifier_is_invalid_grant_and_readable_cross_origin()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var pkce = Pkce.New();
        var code = await CodeAsync(browser, pkce);
        using var response = await TokenAsync(code, Callback, Pkce.New().Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", await ErrorAsync(response));
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task A_missing_verifier_is_refused()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var code = await CodeAsync(browser, Pkce.New());
        using var response = await TokenAsync(code, Callback, verifier: null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(await ErrorAsync(response), new[] { "invalid_grant", "invalid_request" });
    }

    [Fact]
    public async Task A_different_redirect_uri_at_the_token_endpoint_is_invalid_grant()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var pkce = Pkce.New();
        var code = await CodeAsync(browser, pkce);
        using var response = await TokenAsync(code, App + "/elsewhere", pkce.Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", await ErrorAsync(response));
    }

    [Fact]
    public async Task A_replayed_code_is_invalid_grant_and_revokes_the_token_it_bought()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var pkce = Pkce.New();
        var code = await CodeAsync(browser, pkce);
        using var first = await TokenAsync(code, Callback, pkce.Verifier);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var json = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        var token = json.RootElement.GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await GetNotesAsync(browser.User, token));

        using var replay = await TokenAsync(code, Callback, pkce.Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", await ErrorAsync(replay));
        Assert.DoesNotContain("access_token", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // RFC 6749 §4.1.2 (SHOULD): a replayed code revokes what it issued. OpenIddict revokes
        // every token of the code's authorization (design note, pitfall 3).
        Assert.Equal(HttpStatusCode.Unauthorized, await GetNotesAsync(browser.User, token));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("S512")]
    [InlineData("s256")]
    public async Task A_challenge_method_other_than_s256_gets_an_error_page_and_no_redirect(string method)
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var pkce = Pkce.New();
        using var response = await browser.AuthorizeAsync(OAuthQuery.Build(("response_type", "code"), ("redirect_uri", Callback), ("scope", "notes:rw"),
            ("state", "s"), ("code_challenge", method == "plain" ? pkce.Verifier : pkce.Challenge), ("code_challenge_method", method)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task A_code_request_without_a_challenge_gets_an_error_page_and_no_redirect()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var response = await browser.AuthorizeAsync(OAuthQuery.Build(("response_type", "code"), ("redirect_uri", Callback), ("scope", "notes:rw"), ("state", "s")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    private static async Task<string> CodeAsync(OAuthBrowser browser, Pkce pkce)
    {
        var location = await browser.GrantAsync(OAuthQuery.Code(Callback, "notes:rw", pkce, "s"));
        return OAuthRedirect.FromQuery(location)["code"] ?? throw new InvalidOperationException("no code in " + location);
    }

    private async Task<HttpResponseMessage> TokenAsync(string code, string redirectUri, string? verifier, string clientId = App)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId,
        };
        if (verifier is not null)
        {
            form["code_verifier"] = verifier;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, OAuthQuery.TokenPath) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation("Origin", App);
        return await server.Client.SendAsync(request);
    }

    private async Task<HttpStatusCode> GetNotesAsync(string user, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string?> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString();
    }
}

public sealed class CodeFlowTests_Sqlite(SqliteServerFixture server) : CodeFlowTests(server), IClassFixture<SqliteServerFixture>;

public sealed class CodeFlowTests_Postgres(PostgresServerFixture server) : CodeFlowTests(server), IClassFixture<PostgresServerFixture>;
