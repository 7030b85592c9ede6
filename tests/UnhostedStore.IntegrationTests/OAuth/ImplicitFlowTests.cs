using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.OAuth;

/// <summary>The implicit grant as remotestorage.js uses it (draft-26 §10, §12.2–12.3): R9–R17.</summary>
public abstract class ImplicitFlowTests(ServerFixture server)
{
    public const string App = "https://app.example";

    public const string Callback = App + "/cb";

    /// <summary>Space, slash, plus, equals, non-ASCII and ampersand: everything that breaks naive encoders.</summary>
    public const string TrickyState = "a b/c+d=é&x";

    [Fact]
    public async Task An_unauthenticated_authorize_request_redirects_to_login_and_back()
    {
        using var browser = await OAuthBrowser.ForNewUserAsync(server);
        var query = OAuthQuery.Implicit(Callback, "contacts:rw", "s1");
        using var response = await browser.AuthorizeAsync(query);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = new Uri(server.BaseAddress, response.Headers.Location!);
        Assert.Equal("/login", location.AbsolutePath);
        Assert.StartsWith("?ReturnUrl=", location.Query, StringComparison.Ordinal);
        var returnUrl = Uri.UnescapeDataString(location.Query["?ReturnUrl=".Length..]);
        Assert.StartsWith("/oauth/authorize?", returnUrl, StringComparison.Ordinal);

        // Logging in goes back to the dialog, which now asks for consent.
        using var login = await browser.LoginAsync(returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var back = login.Headers.Location!.OriginalString;
        Assert.Equal(returnUrl, back);
        using var consent = await browser.Client.GetAsync(back);
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        Assert.Contains("read and write your contacts", await consent.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_consent_page_shows_the_app_origin_and_the_scopes_in_words()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);

        // rs.js joins scopes with a space and sends it as '+'.
        using var response = await browser.AuthorizeAsync($"response_type=token&client_id={Uri.EscapeDataString(App)}&redirect_uri={Uri.EscapeDataString(Callback)}&scope=contacts:rw+*:r");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(">https://app.example</span>", html, StringComparison.Ordinal);
        Assert.Contains("read and write your contacts", html, StringComparison.Ordinal);
        Assert.Contains("read everything in your storage", html, StringComparison.Ordinal);
        Assert.Contains("value=\"allow\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"deny\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_consent_form_carries_its_own_antiforgery_token_and_the_request_parameters()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var form = await browser.ConsentAsync(OAuthQuery.Implicit(Callback, "contacts:rw", TrickyState));

        // A browser submits only the inputs inside the form it posts.
        Assert.False(string.IsNullOrEmpty(form.AntiforgeryToken));
        Assert.Equal(TrickyState, form.Fields["state"]);
        Assert.Equal(Callback, form.Fields["redirect_uri"]);
        Assert.Equal("token", form.Fields["response_type"]);
    }

    [Fact]
    public async Task Allowing_redirects_to_the_redirect_uri_with_a_bearer_token_in_the_fragment()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw", "xyz"));
        Assert.StartsWith(Callback + "#", location.OriginalString, StringComparison.Ordinal);
        var fragment = OAuthRedirect.FromFragment(location);
        Assert.False(string.IsNullOrEmpty(fragment["access_token"]));
        Assert.Equal("bearer", fragment["token_type"], ignoreCase: true);
        Assert.Equal("xyz", fragment["state"]);
        Assert.Empty(location.Query);
    }

    [Fact]
    public async Task The_state_comes_back_exactly_and_no_fragment_value_holds_a_raw_equals_sign()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw", TrickyState));
        var fragment = OAuthRedirect.FromFragment(location);
        Assert.Equal(TrickyState, fragment["state"]);

        // rs.js splits on '&' and '=' naively: every value must be percent-encoded.
        Assert.All(fragment.RawPairs, p =>
        {
            Assert.DoesNotContain('=', p.Value);
            Assert.DoesNotContain(' ', p.Value);
            Assert.DoesNotContain('+', p.Value);
            Assert.All(p.Value, c => Assert.True(c < 128, "raw non-ASCII in " + p.Key));
        });
        Assert.Single(fragment.RawPairs, p => p.Key == "state");
    }

    [Fact]
    public async Task A_long_state_carrying_rs_js_discovery_data_comes_back_exactly()
    {
        // rs.js puts the app's URL hash in state, with rsDiscovery=<base64 of the WebFinger result>.
        var state = "#/notes?rsDiscovery=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', 3000)));
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "notes:rw", state));
        Assert.Equal(state, OAuthRedirect.FromFragment(location)["state"]);
    }

    [Fact]
    public async Task Without_state_the_answer_has_no_state()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw"));
        var fragment = OAuthRedirect.FromFragment(location);
        Assert.NotNull(fragment["access_token"]);
        Assert.DoesNotContain(fragment.RawPairs, p => p.Key == "state");
    }

    [Fact]
    public async Task Denying_redirects_with_access_denied_and_the_state()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw", TrickyState), decision: "deny");
        Assert.StartsWith(Callback + "#", location.OriginalString, StringComparison.Ordinal);
        var fragment = OAuthRedirect.FromFragment(location);
        Assert.Equal("access_denied", fragment["error"]);
        Assert.Equal(TrickyState, fragment["state"]);
        Assert.Null(fragment["access_token"]);
        Assert.Empty(await GrantsOfAsync(browser.User));
    }

    [Fact]
    public async Task A_different_client_id_is_ignored_and_the_token_belongs_to_the_redirect_uri_origin()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var page = await browser.AuthorizeAsync(OAuthQuery.Implicit(Callback, "contacts:rw", "s", clientId: "https://impostor.example"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains(">https://app.example</span>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("impostor", html, StringComparison.Ordinal);
        using var decided = await browser.DecideAsync(HtmlForm.Parse(html, OAuthQuery.AuthorizePath), "allow");
        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        var token = OAuthRedirect.FromFragment(decided.Headers.Location!)["access_token"]!;
        Assert.Equal(HttpStatusCode.Created, await StorageAsync(HttpMethod.Put, $"/storage/{browser.User}/contacts/a", token));
        var grant = Assert.Single(await GrantsOfAsync(browser.User));
        Assert.Equal(App, grant.Origin);
    }

    [Fact]
    public async Task A_request_without_client_id_works_and_the_token_belongs_to_the_redirect_uri_origin()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var query = OAuthQuery.Build(("response_type", "token"), ("redirect_uri", Callback), ("scope", "contacts:r"), ("state", "s"));
        var location = await browser.GrantAsync(query);
        var token = OAuthRedirect.FromFragment(location)["access_token"]!;
        Assert.Equal(HttpStatusCode.OK, await StorageAsync(HttpMethod.Get, $"/storage/{browser.User}/contacts/", token));
        Assert.Equal(App, Assert.Single(await GrantsOfAsync(browser.User)).Origin);
    }

    [Fact]
    public async Task A_redirect_uri_with_a_page_path_gets_the_answer_on_that_page()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(App + "/direct/", "notes:rw", "s"));
        Assert.StartsWith(App + "/direct/#access_token=", location.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_uri_without_path_as_rs_js_sends_it_works()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(App, "notes:rw", "s"));
        Assert.Equal(App, location.GetLeftPart(UriPartial.Authority));
        Assert.NotNull(OAuthRedirect.FromFragment(location)["access_token"]);
    }

    [Fact]
    public async Task The_token_works_for_the_granted_scopes_and_is_forbidden_elsewhere()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw notes:r", "s"));
        var token = OAuthRedirect.FromFragment(location)["access_token"]!;
        var root = $"/storage/{browser.User}";
        Assert.Equal(HttpStatusCode.Created, await StorageAsync(HttpMethod.Put, root + "/contacts/a", token));
        Assert.Equal(HttpStatusCode.Created, await StorageAsync(HttpMethod.Put, root + "/public/contacts/a", token));
        Assert.Equal(HttpStatusCode.OK, await StorageAsync(HttpMethod.Get, root + "/contacts/a", token));
        Assert.Equal(HttpStatusCode.OK, await StorageAsync(HttpMethod.Get, root + "/notes/", token));
        Assert.Equal(HttpStatusCode.Forbidden, await StorageAsync(HttpMethod.Put, root + "/notes/a", token));
        Assert.Equal(HttpStatusCode.Forbidden, await StorageAsync(HttpMethod.Get, root + "/pictures/", token));
        Assert.Equal(HttpStatusCode.Forbidden, await StorageAsync(HttpMethod.Get, root + "/", token));

        // Another user's storage is out of reach.
        Assert.Equal(HttpStatusCode.Forbidden, await StorageAsync(HttpMethod.Get, $"/storage/{ServerFixture.NewUser()}/contacts/", token));
    }

    [Fact]
    public async Task Tokens_are_long_random_and_different_for_each_grant()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var first = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw", "s")))["access_token"]!;
        var second = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit("https://other.example/cb", "contacts:rw", "s")))["access_token"]!;
        Assert.True(first.Length >= 43, first);
        Assert.True(second.Length >= 43, second);
        Assert.NotEqual(first, second);
        Assert.All(first + second, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', "unexpected character " + c));
        Assert.True(first.Distinct().Count() > 15, "too little variety: " + first);
    }

    [Fact]
    public async Task Consent_is_remembered_for_the_same_origin_and_the_same_or_narrower_scopes()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var first = OAuthRedirect.FromFragment(await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:rw notes:r", "s1")))["access_token"]!;

        foreach (var (scope, uri) in new[] { ("contacts:rw notes:r", Callback), ("contacts:r", Callback), ("notes:r contacts:rw", App + "/other/page") })
        {
            using var again = await browser.AuthorizeAsync(OAuthQuery.Implicit(uri, scope, "s2"));
            Assert.True(again.StatusCode == HttpStatusCode.Redirect, $"{scope} at {uri}: asked again ({(int)again.StatusCode})");
            var fragment = OAuthRedirect.FromFragment(again.Headers.Location!);
            Assert.StartsWith(uri + "#", again.Headers.Location!.OriginalString, StringComparison.Ordinal);
            Assert.Equal("s2", fragment["state"]);
            Assert.NotEqual(first, fragment["access_token"]);
            Assert.Equal(HttpStatusCode.OK, await StorageAsync(HttpMethod.Get, $"/storage/{browser.User}/contacts/", fragment["access_token"]!));
        }

        // A narrower grant gives a narrower token: contacts:r cannot write.
        using var narrow = await browser.AuthorizeAsync(OAuthQuery.Implicit(Callback, "contacts:r", "s3"));
        var narrowToken = OAuthRedirect.FromFragment(narrow.Headers.Location!)["access_token"]!;
        Assert.Equal(HttpStatusCode.Forbidden, await StorageAsync(HttpMethod.Put, $"/storage/{browser.User}/contacts/b", narrowToken));
        Assert.Single(await GrantsOfAsync(browser.User));
    }

    [Fact]
    public async Task Wider_scopes_or_another_origin_ask_again()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        _ = await browser.GrantAsync(OAuthQuery.Implicit(Callback, "contacts:r", "s1"));
        foreach (var (scope, uri) in new[] { ("contacts:rw", Callback), ("contacts:r notes:r", Callback), ("*:r", Callback), ("contacts:r", "https://other.example/cb"), ("contacts:r", "http://localhost:8080/cb") })
        {
            using var again = await browser.AuthorizeAsync(OAuthQuery.Implicit(uri, scope, "s2"));
            Assert.True(again.StatusCode == HttpStatusCode.OK, $"{scope} at {uri}: not asked again ({(int)again.StatusCode} {again.Headers.Location})");
            Assert.Contains("value=\"allow\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("public:rw")]
    [InlineData("a:x")]
    [InlineData("contacts:rw foo")]
    [InlineData("contacts:w")]
    public async Task An_invalid_scope_is_reported_to_the_app_as_invalid_scope(string scope)
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var response = await browser.AuthorizeAsync(OAuthQuery.Implicit(Callback, scope, "st"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(Callback + "#", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var fragment = OAuthRedirect.FromFragment(response.Headers.Location!);
        Assert.Equal("invalid_scope", fragment["error"]);
        Assert.Equal("st", fragment["state"]);
        Assert.Null(fragment["access_token"]);
        Assert.Empty(await GrantsOfAsync(browser.User));
    }

    [Theory]
    [InlineData("http://evil.example/cb")]
    [InlineData("https://app.example/cb#fragment")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/relative/cb")]
    [InlineData("cb")]
    [InlineData("")]
    public async Task An_unacceptable_redirect_uri_gets_an_error_page_and_no_redirect(string redirectUri)
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var response = await browser.AuthorizeAsync(OAuthQuery.Build(("response_type", "token"), ("redirect_uri", redirectUri), ("scope", "contacts:rw"), ("state", "s"), ("client_id", App)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Empty(await GrantsOfAsync(browser.User));
    }

    [Fact]
    public async Task A_missing_redirect_uri_gets_an_error_page_and_no_redirect()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var response = await browser.AuthorizeAsync(OAuthQuery.Build(("response_type", "token"), ("scope", "contacts:rw"), ("state", "s"), ("client_id", App)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("http://localhost:8080/cb")]
    [InlineData("http://127.0.0.1/cb")]
    [InlineData("http://[::1]:3000/")]
    public async Task Loopback_http_redirect_uris_are_accepted(string redirectUri)
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        var location = await browser.GrantAsync(OAuthQuery.Implicit(redirectUri, "contacts:rw", "s"));
        Assert.StartsWith(redirectUri + "#access_token=", location.OriginalString, StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> StorageAsync(HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path).WithToken(token);
        if (method == HttpMethod.Put)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<IReadOnlyList<GrantInfo>> GrantsOfAsync(string user)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None);
    }
}

public sealed class ImplicitFlowTests_Sqlite(SqliteServerFixture server) : ImplicitFlowTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ImplicitFlowTests_Postgres(PostgresServerFixture server) : ImplicitFlowTests(server), IClassFixture<PostgresServerFixture>;
