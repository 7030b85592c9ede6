using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.OAuth;

/// <summary>
/// Malformed OAuth and WebFinger requests (R7, R16, RFC 6749 §4.1.2.1/§4.2.2.1/§5.2): each gets
/// an error page or an RFC error, never a 500, never a redirect anywhere but the one validated
/// redirect_uri, and never a grant.
/// </summary>
public abstract class OAuthBadInputTests(ServerFixture server)
{
    public const string Callback = "https://bad.example/cb";

    private const string Client = "https://bad.example";

    private static readonly Dictionary<string, Case> Cases = BuildCases().ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static TheoryData<string> CaseNames { get; } = new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_malformed_request_gets_an_error_and_never_a_500_an_unvalidated_redirect_or_a_grant(string name)
    {
        var @case = Cases[name];
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var response = await @case.Send(new CaseContext(server, browser));
        var body = await response.Content.ReadAsStringAsync();
        var location = response.Headers.Location;
        var shownLocation = location?.OriginalString is { } l ? l[..Math.Min(l.Length, 300)] : null;
        var summary = $"{name}: {(int)response.StatusCode} {shownLocation} {body[..Math.Min(body.Length, 300)]}";

        Assert.True((int)response.StatusCode < 500, summary);
        if (location is not null)
        {
            Assert.True(location.IsAbsoluteUri && location.OriginalString.StartsWith(Callback, StringComparison.Ordinal), "redirect to an unvalidated URI: " + summary);
        }

        Assert.True((int)@case.Expect.Status == (int)response.StatusCode, summary);
        switch (@case.Expect.Kind)
        {
            case ExpectKind.Page:
                Assert.True(location is null, summary);
                Assert.DoesNotContain("access_token", body, StringComparison.Ordinal);
                break;
            case ExpectKind.Redirect:
                Assert.NotNull(location);
                var fragment = OAuthRedirect.FromFragment(location);
                Assert.Equal(@case.Expect.Error, fragment["error"]);
                Assert.Equal("s", fragment["state"]);
                Assert.Null(fragment["access_token"]);
                break;
            case ExpectKind.Json:
                Assert.True(location is null, summary);
                using (var json = JsonDocument.Parse(body))
                {
                    Assert.Equal(@case.Expect.Error, json.RootElement.GetProperty("error").GetString());
                    Assert.False(json.RootElement.TryGetProperty("access_token", out _), summary);
                }

                break;
        }

        await using var scope = server.CreateScope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(browser.User, CancellationToken.None));
    }

    private static IEnumerable<Case> BuildCases()
    {
        var page = new Expect(ExpectKind.Page, HttpStatusCode.BadRequest, null);
        var invalidScope = new Expect(ExpectKind.Redirect, HttpStatusCode.Redirect, "invalid_scope");

        // Scopes (draft-26 §9): reported to the app, whose redirect_uri is valid.
        foreach (var (name, scope) in new (string, string?)[]
        {
            ("scope empty", ""),
            ("scope missing", null),
            ("scope only spaces", "   "),
            ("scope junk words", "foo bar"),
            ("scope public module", "public:rw"),
            ("scope unknown level", "a:x"),
            ("scope without module", ":rw"),
            ("scope 10 KB", new string('a', 10 * 1024) + ":rw"),
            ("scope with NUL", "notes:rw\0"),
            ("scope path traversal", "../notes:rw"),
            ("scope with slash", "notes/x:rw"),
        })
        {
            yield return new Case(name, c => c.Authorize(Implicit(scope: scope)), invalidScope);
        }

        // Redirect URIs (RFC 6749 §3.1.2, §4.2.2.1): never redirected to; shown as an error page.
        foreach (var (name, uri) in new (string, string?)[]
        {
            ("redirect_uri http non-loopback", "http://evil.example/cb"),
            ("redirect_uri with fragment", Callback + "#frag"),
            ("redirect_uri missing", null),
            ("redirect_uri empty", ""),
            ("redirect_uri javascript", "javascript:alert(1)"),
            ("redirect_uri data", "data:text/html,<script>alert(1)</script>"),
            ("redirect_uri relative", "/relative/cb"),
            ("redirect_uri protocol-relative", "//evil.example/cb"),
            ("redirect_uri ftp", "ftp://bad.example/cb"),
            ("redirect_uri with user info", "https://user:pw@bad.example/cb"),
            ("redirect_uri without host", "https://"),
            ("redirect_uri bad port", "https://bad.example:99999/cb"),
            ("redirect_uri localhost look-alike", "http://localhost.evil.example/cb"),
            ("redirect_uri 5 KB", "https://bad.example/" + new string('p', 5 * 1024)),
            ("redirect_uri with CRLF", "https://bad.example/cb\r\nSet-Cookie: x=1"),
            ("redirect_uri with a raw space", "https://bad.example/c b"),
            ("redirect_uri with a tab", "https://bad.example/c\tb"),
            ("redirect_uri with raw non-ASCII", "https://bad.example/caf\u00e9"),
        })
        {
            yield return new Case(name, c => c.Authorize(Implicit(redirectUri: uri)), page);
        }

        // OpenID Connect's openid scope makes OpenIddict demand a nonce before our code runs.
        yield return new Case("scope openid", c => c.Authorize(Implicit(scope: "openid")), page);

        yield return new Case("redirect_uri twice", c => c.Authorize(Implicit() + "&redirect_uri=" + Uri.EscapeDataString("https://evil.example/cb")), page);

        // Response types.
        foreach (var (name, type) in new (string, string?)[]
        {
            ("response_type id_token", "id_token"),
            ("response_type token code", "token code"),
            ("response_type empty", ""),
            ("response_type unknown", "bogus"),
            ("response_type missing", null),
        })
        {
            yield return new Case(name, c => c.Authorize(Implicit(responseType: type)), page);
        }

        var challenge = Pkce.New().Challenge;
        yield return new Case("token with a PKCE challenge", c => c.Authorize(Implicit() + "&code_challenge=" + challenge + "&code_challenge_method=S256"), page);
        yield return new Case("code with plain PKCE", c => c.Authorize(Code(challenge, "plain")), page);
        yield return new Case("code without PKCE", c => c.Authorize(Code(null, null)), page);
        yield return new Case("code with a too short challenge", c => c.Authorize(Code("abc", "S256")), page);
        yield return new Case("token with response_mode query", c => c.Authorize(Implicit() + "&response_mode=query"), page);
        yield return new Case("state over 8 KB in the query", c => c.Authorize(Implicit(state: new string('s', OriginClientHandler.MaxStateLength + 1))), page);
        yield return new Case("state 100 KB in the query", c => c.Authorize(Implicit(state: new string('s', 100 * 1024))), new Expect(ExpectKind.Page, HttpStatusCode.RequestUriTooLong, null));

        // The consent POST needs the antiforgery token of this user's own consent form.
        var rejected = page;
        yield return new Case("consent POST without antiforgery token", async c =>
        {
            var form = await c.Browser.ConsentAsync(Implicit());
            form.Fields.Remove("__RequestVerificationToken");
            return await c.Browser.DecideAsync(form, "allow");
        }, rejected);
        yield return new Case("consent POST with a forged antiforgery token", async c =>
        {
            var form = await c.Browser.ConsentAsync(Implicit());
            form.Fields["__RequestVerificationToken"] = "CfDJ8" + new string('A', 150);
            return await c.Browser.DecideAsync(form, "allow");
        }, rejected);
        yield return new Case("consent POST with another session's antiforgery token", async c =>
        {
            using var other = await OAuthBrowser.LoggedInAsync(c.Server);
            var theirs = await other.ConsentAsync(Implicit());
            var form = await c.Browser.ConsentAsync(Implicit());
            form.Fields["__RequestVerificationToken"] = theirs.AntiforgeryToken!;
            return await c.Browser.DecideAsync(form, "allow");
        }, rejected);
        yield return new Case("consent POST from a logged-out browser", async c =>
        {
            var form = await c.Browser.ConsentAsync(Implicit());
            using var anonymous = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = c.Server.BaseAddress };
            var fields = new Dictionary<string, string>(form.Fields) { ["decision"] = "allow", ["lifetime"] = "30" };
            using var response = await anonymous.PostAsync(OAuthQuery.AuthorizePath, new FormUrlEncodedContent(fields));
            return await Copy(response);
        }, rejected);
        yield return new Case("consent POST with the redirect_uri swapped", async c =>
        {
            var form = await c.Browser.ConsentAsync(Implicit());
            form.Fields["redirect_uri"] = "http://evil.example/cb";
            return await c.Browser.DecideAsync(form, "allow");
        }, page);
        yield return new Case("consent POST with state 100 KB", async c =>
        {
            var form = await c.Browser.ConsentAsync(Implicit());
            form.Fields["state"] = new string('s', 100 * 1024);
            return await c.Browser.DecideAsync(form, "allow");
        }, page);

        // The token endpoint (RFC 6749 §5.2): JSON errors, no token.
        var invalidRequest = new Expect(ExpectKind.Json, HttpStatusCode.BadRequest, "invalid_request");
        var unsupported = new Expect(ExpectKind.Json, HttpStatusCode.BadRequest, "unsupported_grant_type");
        var invalidGrant = new Expect(ExpectKind.Json, HttpStatusCode.BadRequest, "invalid_grant");
        yield return new Case("token without grant_type", c => c.Token(("code", "x")), invalidRequest);
        yield return new Case("token with an unknown grant_type", c => c.Token(("grant_type", "urn:example:bogus"), ("client_id", Client)), unsupported);
        yield return new Case("token with the operator grant over HTTP", async c =>
        {
            // The operator's app entry exists (and may use that grant type) once a token was issued.
            _ = await c.Server.Tokens.IssueAsync(ServerFixture.NewUser(), "notes:r");
            return await c.Token(("grant_type", OperatorGrant.Type), ("client_id", TestTokens.Origin), ("scope", "*:rw"));
        }, unsupported);
        yield return new Case("token with the operator grant and no client", c => c.Token(("grant_type", OperatorGrant.Type), ("scope", "*:rw")),
            new Expect(ExpectKind.Json, HttpStatusCode.Unauthorized, "invalid_client"));
        yield return new Case("token with the operator grant for an unknown client", c => c.Token(("grant_type", OperatorGrant.Type), ("client_id", "https://never-seen.example"), ("scope", "*:rw")),
            new Expect(ExpectKind.Json, HttpStatusCode.Unauthorized, "invalid_client"));
        yield return new Case("token with the password grant", c => c.Token(("grant_type", "password"), ("username", c.Browser.User), ("password", OAuthBrowser.Password), ("client_id", Client)), unsupported);
        yield return new Case("token with client_credentials", c => c.Token(("grant_type", "client_credentials"), ("client_id", Client)), unsupported);
        yield return new Case("token with a junk refresh token", c => c.Token(("grant_type", "refresh_token"), ("refresh_token", "junk"), ("client_id", Client)), unsupported);
        yield return new Case("token with a junk code", c => c.Token(("grant_type", "authorization_code"), ("code", "junk"), ("redirect_uri", Callback), ("code_verifier", Pkce.New().Verifier), ("client_id", Client)), invalidGrant);
        yield return new Case("token code grant without code", c => c.Token(("grant_type", "authorization_code"), ("redirect_uri", Callback), ("code_verifier", Pkce.New().Verifier), ("client_id", Client)), invalidRequest);
        yield return new Case("token with a JSON body", async c =>
        {
            using var content = new StringContent("{\"grant_type\":\"authorization_code\",\"code\":\"x\"}", Encoding.UTF8, "application/json");
            using var response = await c.Server.Client.PostAsync(OAuthQuery.TokenPath, content);
            return await Copy(response);
        }, invalidRequest);
        yield return new Case("token by GET", async c =>
        {
            using var response = await c.Server.Client.GetAsync(OAuthQuery.TokenPath + "?grant_type=authorization_code&code=x");
            return await Copy(response);
        }, invalidRequest);

        // WebFinger (RFC 7033 §4.2).
        foreach (var (name, query, status) in new (string, string, HttpStatusCode)[]
        {
            ("webfinger without resource", "", HttpStatusCode.BadRequest),
            ("webfinger empty resource", "?resource=", HttpStatusCode.BadRequest),
            ("webfinger two resources", "?resource=acct:a@h&resource=acct:b@h", HttpStatusCode.BadRequest),
            ("webfinger acct: alone", "?resource=acct:", HttpStatusCode.NotFound),
            ("webfinger acct without user", "?resource=acct:@host", HttpStatusCode.NotFound),
            ("webfinger acct without host", "?resource=acct:someone@", HttpStatusCode.NotFound),
            ("webfinger upper-case user", "?resource=acct:UPPER@h", HttpStatusCode.NotFound),
            ("webfinger 5 KB resource", "?resource=acct:" + new string('a', 5 * 1024) + "@h", HttpStatusCode.NotFound),
            ("webfinger mailto resource", "?resource=mailto:someone@h", HttpStatusCode.NotFound),
            ("webfinger NUL in resource", "?resource=acct:a%00b@h", HttpStatusCode.NotFound),
            ("webfinger path traversal", "?resource=acct:..%2F..@h", HttpStatusCode.NotFound),
        })
        {
            yield return new Case(name, async c =>
            {
                using var response = await c.Server.Client.GetAsync("/.well-known/webfinger" + query);
                return await Copy(response);
            }, new Expect(ExpectKind.Page, status, null));
        }
    }

    private static string Implicit(string? scope = "notes:rw", string? redirectUri = Callback, string? responseType = "token", string? state = "s") =>
        OAuthQuery.Build(("response_type", responseType), ("redirect_uri", redirectUri), ("scope", scope), ("state", state), ("client_id", Client));

    private static string Code(string? challenge, string? method) =>
        OAuthQuery.Build(("response_type", "code"), ("redirect_uri", Callback), ("scope", "notes:rw"), ("state", "s"), ("client_id", Client),
                         ("code_challenge", challenge), ("code_challenge_method", method));

    /// <summary>A response detached from its (disposed) client.</summary>
    private static async Task<HttpResponseMessage> Copy(HttpResponseMessage response)
    {
        var copy = new HttpResponseMessage(response.StatusCode) { Content = new ByteArrayContent(await response.Content.ReadAsByteArrayAsync()) };
        if (response.Headers.Location is { } location)
        {
            copy.Headers.Location = location;
        }

        return copy;
    }

    private enum ExpectKind
    {
        /// <summary>An error shown by the server itself: no redirect.</summary>
        Page,

        /// <summary>An RFC 6749 error redirected to the validated redirect_uri's fragment.</summary>
        Redirect,

        /// <summary>An RFC 6749 §5.2 JSON error.</summary>
        Json,
    }

    private sealed record Expect(ExpectKind Kind, HttpStatusCode Status, string? Error);

    private sealed record Case(string Name, Func<CaseContext, Task<HttpResponseMessage>> Send, Expect Expect);

    private sealed record CaseContext(ServerFixture Server, OAuthBrowser Browser)
    {
        public Task<HttpResponseMessage> Authorize(string query) => Browser.AuthorizeAsync(query);

        public async Task<HttpResponseMessage> Token(params (string Name, string Value)[] form)
        {
            using var content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
            using var response = await Server.Client.PostAsync(OAuthQuery.TokenPath, content);
            return await Copy(response);
        }
    }
}

public sealed class OAuthBadInputTests_Sqlite(SqliteServerFixture server) : OAuthBadInputTests(server), IClassFixture<SqliteServerFixture>;

public sealed class OAuthBadInputTests_Postgres(PostgresServerFixture server) : OAuthBadInputTests(server), IClassFixture<PostgresServerFixture>;
