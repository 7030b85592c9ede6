using System.Net;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Pages.Account;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>A SQLite server that logs everything, ASP.NET Core and EF Core included, down to
/// Trace into <see cref="Logs"/> (the code's own filters for request lines still hold).</summary>
public sealed class TraceLoggingServerFixture() : ServerFixture(Backend.SqliteFileSystem)
{
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Logging:LogLevel:Default", "Trace");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Trace");
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

/// <summary>
/// The move-in's authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636) over plain HTTP:
/// against a second UnhostedStore, and against a fake old server whose token endpoint
/// misbehaves. Only on SQLite: the pages and the outbound requests do not depend on the
/// backend, and the job they create is tested on every backend by <see cref="MoveInTests"/>.
/// </summary>
public sealed class MoveInCodeGrantTests(TraceLoggingServerFixture server, MoveInSource source)
    : IClassFixture<TraceLoggingServerFixture>, IClassFixture<MoveInSource>
{
    private const string Callback = "/account/move-in/callback";

    /// <summary>Posts the move-in form and returns the authorize URL of the "Continue" link.</summary>
    private static async Task<Uri> FindAsync(Browser browser, string address)
    {
        var form = await browser.GetPageAsync("/account/move-in");
        using var found = await browser.SubmitAsync(form, "id=\"movein-form\"", ("Address", address));
        var html = await found.Content.ReadAsStringAsync();
        Assert.True(found.StatusCode == HttpStatusCode.OK, html);
        var link = Html.Element(html, "id=\"continue\"", "</a>");
        Assert.True(link is not null, "no Continue link: " + html);
        return new Uri(Html.Attribute(link, "href")!);
    }

    private static Dictionary<string, string> Query(Uri url) =>
        QueryHelpers.ParseQuery(url.Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    private MoveInPending Pending(Browser browser)
    {
        var cookie = browser.Cookies.GetCookies(new Uri(server.BaseAddress, "/account/move-in"))[MoveInModel.CookieName];
        Assert.NotNull(cookie);
        var json = MoveInModel.Protector(server.Services.GetRequiredService<IDataProtectionProvider>()).Unprotect(cookie.Value);
        return System.Text.Json.JsonSerializer.Deserialize<MoveInPending>(json)!;
    }

    private async Task<int> JobCountAsync(string user)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).MoveInJobs.CountAsync(j => j.UserName == user);
    }

    private static string ErrorOf(string html) => Html.Text(Html.Element(html, "id=\"movein-error\"", "</p>") ?? "(no error shown)");

    [Fact]
    public async Task The_code_grant_with_pkce_copies_every_document_and_no_log_holds_the_code_or_verifier()
    {
        using var old = await OAuthBrowser.LoggedInAsync(source.Server);
        var writer = source.Server.Tokens.Issue(old.User, "*:rw");
        for (var i = 0; i < 9; i++)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{old.User}/notes/n{i}.txt").WithToken(writer);
            put.Content = new StringContent("note " + i, Encoding.UTF8, "text/plain");
            using var written = await source.Server.Client.SendAsync(put);
            Assert.True(written.IsSuccessStatusCode, written.StatusCode.ToString());
        }

        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var authorize = await FindAsync(browser, source.Address(old.User));
        var query = Query(authorize);
        Assert.Equal("/oauth/authorize", authorize.AbsolutePath);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal("*:r", query["scope"]);
        var origin = server.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Equal(origin, query["client_id"]);
        Assert.Equal(origin + Callback, query["redirect_uri"]);
        Assert.False(query.ContainsKey("code_verifier"));

        // RFC 7636 §4.1–4.2: the verifier is in the encrypted cookie only, and the challenge is its S256.
        var pending = Pending(browser);
        Assert.Equal(source.Server.BaseAddress.GetLeftPart(UriPartial.Authority) + "/oauth/token", pending.TokenEndpoint);
        Assert.Matches("^[A-Za-z0-9._~-]{43,128}$", pending.CodeVerifier);
        Assert.Equal(MoveInPkce.Challenge(pending.CodeVerifier!), query["code_challenge"]);
        Assert.DoesNotContain(pending.CodeVerifier!, authorize.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(pending.State, query["state"]);

        var answer = await old.GrantAsync(authorize.Query.TrimStart('?'));
        Assert.Equal(origin + Callback, answer.GetLeftPart(UriPartial.Path));
        var code = Query(answer)["code"].ToString();
        Assert.NotEmpty(code);

        using var redeemed = await browser.GetAsync(answer.PathAndQuery);
        Assert.True(redeemed.StatusCode == HttpStatusCode.Redirect, await redeemed.Content.ReadAsStringAsync());
        var jobPage = redeemed.Headers.Location!.ToString();
        Assert.StartsWith("/account/move-in?job=", jobPage, StringComparison.Ordinal);
        var jobId = jobPage["/account/move-in?job=".Length..];

        var row = await Poll.UntilAsync(
            async () =>
            {
                await using var scope = server.CreateScope();
                return await ServerFixture.Db(scope).MoveInJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
            },
            r => r.State != MoveInState.Running,
            TimeSpan.FromSeconds(60),
            "the move-in to end");
        Assert.Equal((MoveInState.Done, 9, 0, user), (row.State, row.Copied, row.Skipped, row.UserName));
        var reader = server.Tokens.Issue(user, "*:r");
        for (var i = 0; i < 9; i++)
        {
            using var copied = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/n{i}.txt").WithToken(reader));
            Assert.Equal("note " + i, await copied.Content.ReadAsStringAsync());
        }

        Assert.Contains("id=\"movein-report\"", await browser.GetPageAsync(jobPage), StringComparison.Ordinal);

        // The same answer again: the move-in it belonged to is over.
        using var replay = await browser.GetAsync(answer.PathAndQuery);
        Assert.Contains("does not belong to a move-in you started", ErrorOf(await replay.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(1, await JobCountAsync(user));

        var messages = server.Logs.Messages.ToArray();
        Assert.Contains(messages, m => m.Contains(Callback, StringComparison.Ordinal));
        foreach (var secret in new[] { code, pending.CodeVerifier! })
        {
            var leaked = messages.Where(m => m.Contains(secret, StringComparison.Ordinal)).ToArray();
            Assert.True(leaked.Length == 0, "a secret of the code grant was logged:\n" + string.Join('\n', leaked));
        }
    }

    [Fact]
    public async Task A_callback_with_a_wrong_state_redeems_nothing_and_stores_nothing()
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.OffersCodeGrant = true;
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var authorize = await FindAsync(browser, fake.Address);
        Assert.Equal("code", Query(authorize)["response_type"]);

        using var wrong = await browser.GetAsync(Callback + "?code=abc&state=" + new string('0', 32));
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        var html = await wrong.Content.ReadAsStringAsync();
        Assert.Contains("the state differs", ErrorOf(html), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"movein-callback\"", html, StringComparison.Ordinal);

        using var missing = await browser.GetAsync(Callback + "?code=abc");
        Assert.Contains("the state differs", ErrorOf(await missing.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        // A token posted as if the implicit grant had been asked for, with the right state, is refused too.
        var page = await browser.GetPageAsync(Callback);
        using var posted = await browser.SubmitAsync(page, "id=\"movein-callback\"", ("access_token", "t"), ("state", Query(authorize)["state"]!));
        Assert.Contains("a token instead of a code", ErrorOf(await posted.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        Assert.Empty(fake.TokenRequests);
        Assert.Equal(0, await JobCountAsync(user));
    }

    [Theory]
    [InlineData(400, """{"error":"invalid_grant","error_description":"expired"}""", "no longer accepts this authorization")]
    [InlineData(400, "<html>Bad Request</html>", "refused to hand out access")]
    [InlineData(500, """{"error":"server_error"}""", "refused to hand out access (server_error)")]
    [InlineData(200, "garbage", "not JSON")]
    [InlineData(200, """{"token_type":"bearer"}""", "without a usable access token")]
    [InlineData(200, """{"access_token":"has space","token_type":"bearer"}""", "without a usable access token")]
    [InlineData(200, """{"access_token":"t","token_type":"mac"}""", "not a bearer token")]
    public async Task A_token_endpoint_that_refuses_or_answers_garbage_shows_a_message_and_creates_no_job(int status, string body, string message)
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.OffersCodeGrant = true;
        fake.TokenAnswer = (status, body);
        fake.Document("/a.txt", "a");
        fake.Listing("/", """{"items":{"a.txt":{"ETag":"1","Content-Type":"text/plain"}}}""");
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var authorize = await FindAsync(browser, fake.Address);
        var query = Query(authorize);
        Assert.Equal(fake.Authority, authorize.Authority);
        Assert.Equal("/authorize", authorize.AbsolutePath);

        using var answer = await browser.GetAsync($"{Callback}?code=the-code&state={query["state"]}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var html = await answer.Content.ReadAsStringAsync();
        Assert.Contains(message, ErrorOf(html), StringComparison.Ordinal);
        Assert.Contains("nothing was copied", ErrorOf(html), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"movein-callback\"", html, StringComparison.Ordinal);

        // RFC 6749 §4.1.3 with RFC 7636 §4.5: exactly these fields, the verifier matching the challenge.
        var request = Assert.Single(fake.TokenRequests);
        Assert.Equal("authorization_code", request["grant_type"]);
        Assert.Equal("the-code", request["code"]);
        Assert.Equal(query["redirect_uri"], request["redirect_uri"]);
        Assert.Equal(query["client_id"], request["client_id"]);
        Assert.Equal(query["code_challenge"], MoveInPkce.Challenge(request["code_verifier"]));
        Assert.Equal(0, await JobCountAsync(user));
        Assert.DoesNotContain(server.Logs.Messages, m => m.Contains(request["code_verifier"], StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("access_denied", "You did not allow this server")]
    [InlineData("<script>", "did not give access")]
    public async Task An_error_answer_shows_a_plain_message_and_creates_no_job(string error, string message)
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.OffersCodeGrant = true;
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var authorize = await FindAsync(browser, fake.Address);

        using var answer = await browser.GetAsync($"{Callback}?error={Uri.EscapeDataString(error)}&state={Query(authorize)["state"]}");
        var html = await answer.Content.ReadAsStringAsync();
        Assert.Contains(message, ErrorOf(html), StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", ErrorOf(html), StringComparison.Ordinal);
        Assert.Empty(fake.TokenRequests);
        Assert.Equal(0, await JobCountAsync(user));
    }

    [Fact]
    public async Task Without_a_token_endpoint_the_page_asks_for_a_token_and_the_callback_waits_for_the_fragment()
    {
        await using var fake = await FakeOldServer.StartAsync();
        var (_, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var __ = browser;
        var authorize = await FindAsync(browser, fake.Address);
        var query = Query(authorize);
        Assert.Equal("/oauth", authorize.AbsolutePath);
        Assert.Equal("token", query["response_type"]);
        Assert.False(query.ContainsKey("code_challenge"));
        Assert.False(query.ContainsKey("code_challenge_method"));
        var pending = Pending(browser);
        Assert.Null(pending.CodeVerifier);
        Assert.Null(pending.TokenEndpoint);

        var page = await browser.GetPageAsync(Callback);
        Assert.Contains("id=\"movein-callback\"", page, StringComparison.Ordinal);
        Assert.Null(Html.Element(page, "id=\"movein-error\"", "</p>"));
    }

    private async Task<OldServer> DiscoverAsync(string address)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<MoveInDiscovery>().DiscoverAsync(address, CancellationToken.None);
    }

    [Fact]
    public async Task Discovery_prefers_the_code_grant_of_another_unhosted_store()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(source.Server, user, AccountTestHelpers.Password);
        var found = await DiscoverAsync(source.Address(user));
        var origin = source.Server.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Equal(new Uri(origin + "/oauth/token"), found.TokenEndpoint);
        Assert.Equal(new Uri(origin + "/oauth/authorize"), found.AuthorizeUrl);
    }

    [Theory]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.1":"ORIGIN/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":"ORIGIN/oauth/token","http://tools.ietf.org/html/rfc7636":"S256" """, "/authorize", true)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-3.1":"ORIGIN/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":"ORIGIN/oauth/token" """, "/authorize", true)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.2":"ORIGIN/oauth/token","http://tools.ietf.org/html/rfc7636":"plain S256" """, "/oauth", true)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth" """, "/oauth", false)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.1":"ORIGIN/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":null """, "/oauth", false)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.1":"ORIGIN/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":"ftp://files.example/token" """, "/oauth", false)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.1":"ORIGIN/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":"http://10.0.0.7/token" """, "/oauth", false)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.1":"ORIGIN/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":"http://169.254.169.254/token" """, "/oauth", false)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.2":"ORIGIN/oauth/token","http://tools.ietf.org/html/rfc7636":"plain" """, "/oauth", false)]
    [InlineData(""" "http://tools.ietf.org/html/rfc6749#section-4.2":"ORIGIN/oauth","http://tools.ietf.org/html/rfc6749#section-3.2":"ORIGIN/oauth/token","http://tools.ietf.org/html/rfc7636":null """, "/oauth", false)]
    public async Task Discovery_uses_the_code_grant_only_when_a_usable_token_endpoint_is_announced(string properties, string authorizePath, bool codeGrant)
    {
        await using var fake = await FakeOldServer.StartAsync();
        var origin = "http://" + fake.Authority;
        fake.WebFinger = $$$"""
            {"links":[{"rel":"{{{MoveInDiscovery.RemoteStorageRel}}}","href":"{{{origin}}}/storage/alice","properties":{{{{properties.Replace("ORIGIN", origin, StringComparison.Ordinal)}}}}}]}
            """;
        var found = await DiscoverAsync(fake.Address);
        Assert.Equal(new Uri(origin + authorizePath), found.AuthorizeUrl);
        Assert.Equal(codeGrant ? new Uri(origin + "/oauth/token") : null, found.TokenEndpoint);
    }

    [Fact]
    public async Task Discovery_without_any_usable_authorize_url_is_refused()
    {
        await using var fake = await FakeOldServer.StartAsync();
        var origin = "http://" + fake.Authority;
        fake.WebFinger = $$$"""
            {"links":[{"rel":"{{{MoveInDiscovery.RemoteStorageRel}}}","href":"{{{origin}}}/storage/alice","properties":{"http://tools.ietf.org/html/rfc6749#section-4.2":null,"http://tools.ietf.org/html/rfc6749#section-3.2":"http://10.0.0.7/token"}}]}
            """;
        var e = await Assert.ThrowsAsync<MoveInRefusedException>(() => DiscoverAsync(fake.Address));
        Assert.Contains("no way to authorize", e.Message, StringComparison.Ordinal);
    }
}
