using System.Net;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>
/// Security headers: the pages allow only our own resources, no framing, no referrer,
/// no sniffing; storage responses are never sniffed, and a stored document opened in a browser
/// tab is sandboxed (draft-26 §14: apps may upload HTML).
/// </summary>
public abstract class SecurityHeaderTests(ServerFixture server)
{
    private const string PagePolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";
    private const string DocumentPolicy = "sandbox; default-src 'none'";
    private const string AuthorizeQuery = "client_id=https%3A%2F%2Fapp.example&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=token&scope=notes%3Arw&state=s";

    [Theory]
    [InlineData("/login", HttpStatusCode.OK)]
    [InlineData("/account", HttpStatusCode.Redirect)]
    [InlineData("/signup", HttpStatusCode.NotFound)]
    [InlineData("/setup", HttpStatusCode.NotFound)]
    [InlineData("/no-such-page", HttpStatusCode.NotFound)]
    [InlineData("/css/site.css", HttpStatusCode.OK)]
    public async Task Pages_carry_csp_without_framing_referrer_policy_nosniff_and_frame_denial(string path, HttpStatusCode status)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        using var response = await client.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        AssertPageHeaders(response, PagePolicy);
    }

    [Fact]
    public async Task The_token_endpoint_carries_the_page_headers_too()
    {
        using var response = await server.Client.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertPageHeaders(response, PagePolicy);
    }

    [Fact]
    public async Task The_consent_page_and_the_login_on_the_way_to_it_may_send_their_form_on_to_the_app()
    {
        // form-action also applies to the redirect after the form is sent: the app's origin is named.
        using (var anonymous = new Browser(server))
        using (var login = await anonymous.GetAsync("/login?ReturnUrl=" + Uri.EscapeDataString("/oauth/authorize?" + AuthorizeQuery)))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            AssertPageHeaders(login, PagePolicy + " https://app.example");
        }

        var (_, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        using var consent = await browser.GetAsync("/oauth/authorize?" + AuthorizeQuery);
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        Assert.Contains("id=\"allow\"", await consent.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        AssertPageHeaders(consent, PagePolicy + " https://app.example");

        using var account = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, account.StatusCode);
        AssertPageHeaders(account, PagePolicy);
    }

    [Fact]
    public async Task Stored_documents_are_sandboxed_and_never_sniffed_and_keep_their_cors_headers()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var content = new StringContent("<script>alert(document.cookie)</script>");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/html");
        using (var put = await SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/page.html") { Content = content }.WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            AssertStorageHeaders(put, document: false);
        }

        string etag;
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var response = await SendAsync(new HttpRequestMessage(method, $"/storage/{user}/notes/page.html").WithToken(token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType!.ToString());
            AssertStorageHeaders(response, document: true);
            etag = response.Headers.ETag!.Tag;
        }

        using (var range = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/page.html") { Headers = { { "Range", "bytes=0-3" } } }.WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
            AssertStorageHeaders(range, document: true);
        }

        using (var get = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/page.html").WithToken(token)))
        {
            etag = get.Headers.ETag!.Tag;
        }

        using (var notModified = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/page.html") { Headers = { { "If-None-Match", etag } } }.WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            AssertStorageHeaders(notModified, document: false);
        }

        using (var folder = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.OK, folder.StatusCode);
            AssertStorageHeaders(folder, document: false);
        }

        using (var unauthorized = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/page.html")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            AssertStorageHeaders(unauthorized, document: false);
        }

        var preflight = new HttpRequestMessage(HttpMethod.Options, $"/storage/{user}/notes/page.html");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        using (var response = await SendAsync(preflight))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            AssertStorageHeaders(response, document: false);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            request.Headers.Add("Origin", "https://app.example");
            return await server.Client.SendAsync(request);
        }
    }

    private static void AssertPageHeaders(HttpResponseMessage response, string policy)
    {
        Assert.Equal(policy, Single(response, "Content-Security-Policy"));
        Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
    }

    private static void AssertStorageHeaders(HttpResponseMessage response, bool document)
    {
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("https://app.example", Single(response, "Access-Control-Allow-Origin"));
        if (document)
        {
            Assert.Equal(DocumentPolicy, Single(response, "Content-Security-Policy"));
        }
        else
        {
            Assert.False(response.Headers.Contains("Content-Security-Policy"));
        }

        // The page headers are for our pages; storage answers carry only what apps need.
        Assert.False(response.Headers.Contains("X-Frame-Options"));
        Assert.False(response.Headers.Contains("Referrer-Policy"));
    }

    private static string Single(HttpResponseMessage response, string name) =>
        Assert.Single(response.Headers.TryGetValues(name, out var values) ? values : response.Content.Headers.GetValues(name));
}

public sealed class SecurityHeaderTests_Sqlite(SqliteServerFixture server) : SecurityHeaderTests(server), IClassFixture<SqliteServerFixture>;

public sealed class SecurityHeaderTests_Postgres(PostgresServerFixture server) : SecurityHeaderTests(server), IClassFixture<PostgresServerFixture>;
