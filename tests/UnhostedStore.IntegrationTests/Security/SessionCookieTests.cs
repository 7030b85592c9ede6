using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Security.SecurityPages;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// ASVS V3.2.1 (a new session token at every authentication, also after the second factor),
/// V3.4.1–V3.4.3 (Secure, HttpOnly and SameSite on the session and antiforgery cookies) and
/// V4.2.2 / V13.2.3 (an antiforgery token on every form, checked on every POST).
/// </summary>
public abstract partial class SessionCookieTests(SecurityServerFixture server)
{
    private const string Session = "unhostedstore";
    private const string TwoFactor = "Identity.TwoFactorUserId";
    private const string TokenField = "__RequestVerificationToken";

    private string? CookieValue(Browser browser, string name) =>
        browser.Cookies.GetCookies(server.BaseAddress).FirstOrDefault(c => c.Name.StartsWith(name, StringComparison.Ordinal))?.Value;

    [Fact]
    public async Task Every_login_issues_a_new_session_cookie_also_after_the_second_factor_and_never_keeps_a_planted_one()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        string key;
        using (var setup = new Browser(server))
        {
            await setup.LoginAsync(user, Password);
            (key, _) = await EnableAuthenticatorAsync(setup, server.Clock);
        }

        // Session fixation: a value set in the browser before the login (by an attacker).
        using var browser = new Browser(server);
        browser.Cookies.Add(server.BaseAddress, new Cookie(Session, "chosen-by-someone-else"));

        var step = await browser.GetPageAsync(await PasswordStepAsync(browser, user));
        Assert.NotNull(CookieValue(browser, TwoFactor));
        Assert.False(await IsLoggedInAsync(browser));
        using (var code = await browser.SubmitAsync(step, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock))))
        {
            Assert.Equal(HttpStatusCode.Redirect, code.StatusCode);
        }

        var first = CookieValue(browser, Session);
        Assert.NotNull(first);
        Assert.NotEqual("chosen-by-someone-else", first);
        Assert.Null(CookieValue(browser, TwoFactor));
        Assert.True(await IsLoggedInAsync(browser));

        // Logging in again, in the same browser, issues another one.
        step = await browser.GetPageAsync(await PasswordStepAsync(browser, user));
        using (var code = await browser.SubmitAsync(step, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock, 2))))
        {
            Assert.Equal(HttpStatusCode.Redirect, code.StatusCode);
        }

        var second = CookieValue(browser, Session);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);

        // And a password-only login too.
        using var plain = new Browser(server);
        var other = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, other, Password);
        plain.Cookies.Add(server.BaseAddress, new Cookie(Session, "chosen-by-someone-else"));
        await plain.LoginAsync(other, Password);
        var third = CookieValue(plain, Session);
        await plain.LoginAsync(other, Password);
        Assert.NotEqual("chosen-by-someone-else", third);
        Assert.NotEqual(third, CookieValue(plain, Session));
    }

    [Theory]
    [InlineData("https", true)]
    [InlineData("http", false)]
    public async Task The_session_two_factor_and_antiforgery_cookies_are_http_only_same_site_and_secure_over_https(string scheme, bool secure)
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        var ip = AbuseLimitedServerFixture.ClientIp();

        // HTTPS as a TLS-terminating proxy announces it (the test client is a trusted loopback proxy).
        using var get = new HttpRequestMessage(HttpMethod.Get, "/login");
        get.Headers.Add("X-Forwarded-Proto", scheme);
        get.Headers.Add("X-Forwarded-For", ip);
        using var page = await client.SendAsync(get);
        var antiforgery = SetCookie(page, ".AspNetCore.Antiforgery.");
        AssertAttributes(antiforgery, secure, "strict");

        var token = Html.HiddenInputs(Html.Form(await page.Content.ReadAsStringAsync(), "id=\"login\"")).Single(f => f.Name == TokenField).Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent([new(TokenField, token), new("UserName", user), new("Password", Password)]),
        };
        post.Headers.Add("X-Forwarded-Proto", scheme);
        post.Headers.Add("X-Forwarded-For", ip);
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        using var login = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        AssertAttributes(SetCookie(login, Session + "="), secure, "lax");

        // The cookie between the password and the second factor.
        var (twoFactorUser, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using (browser)
        {
            await EnableAuthenticatorAsync(browser, server.Clock);
        }

        using var again = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent([new(TokenField, token), new("UserName", twoFactorUser), new("Password", Password)]),
        };
        again.Headers.Add("X-Forwarded-Proto", scheme);
        again.Headers.Add("X-Forwarded-For", ip);
        again.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        using var passwordStep = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.Redirect, passwordStep.StatusCode);
        AssertAttributes(SetCookie(passwordStep, TwoFactor + "="), secure, "lax");
    }

    private static string SetCookie(HttpResponseMessage response, string prefix) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(prefix, StringComparison.Ordinal));

    private static void AssertAttributes(string setCookie, bool secure, string sameSite)
    {
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=" + sameSite, attributes);
        Assert.Equal(secure, attributes.Contains("secure"));
    }

    /// <summary>Every Razor page of the server, as a path with its route values filled in.</summary>
    private IEnumerable<string> PagePaths() =>
        server.Services.GetRequiredService<IActionDescriptorCollectionProvider>().ActionDescriptors.Items
            .OfType<PageActionDescriptor>()
            .Select(p => "/" + RouteValue().Replace(p.AttributeRouteInfo!.Template!, m => m.Value.StartsWith("{**", StringComparison.Ordinal) ? string.Empty : "x").TrimEnd('/'))
            .Select(p => p.Length == 0 ? "/" : p)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteValue();

    [GeneratedRegex("<form\\b[^>]*>")]
    private static partial Regex FormTag();

    [GeneratedRegex("href=\"(/[^\"#]*)")]
    private static partial Regex LocalLink();

    [Fact]
    public async Task Every_form_on_every_page_carries_the_antiforgery_token()
    {
        // An admin with documents, a share link and two-step verification: most forms show.
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server, isAdmin: true);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await AccountTestHelpers.PutAsync(server, user, token, "/notes/a.txt", 40));
        Assert.Equal(HttpStatusCode.Created, await AccountTestHelpers.PutAsync(server, user, token, "/notes/sub/b.bin", 40));
        await EnableAuthenticatorAsync(browser, server.Clock);

        var queue = new Queue<string>(["/account", "/files", .. PagePaths()]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var formsByPage = new Dictionary<string, int>(StringComparer.Ordinal);
        var missing = new List<string>();
        while (queue.TryDequeue(out var path) && seen.Count < 150)
        {
            // Logging out would end the crawl's session; downloads and storage are not pages.
            if (!seen.Add(path) || path.StartsWith("/logout?", StringComparison.Ordinal) || path.StartsWith("/storage", StringComparison.Ordinal)
                || path.StartsWith("/.well-known", StringComparison.Ordinal) || path.StartsWith("/account/export/", StringComparison.Ordinal)
                || path.StartsWith("/files/bytes", StringComparison.Ordinal))
            {
                continue;
            }

            using var response = await browser.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/html")
            {
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            var posts = 0;
            foreach (Match tag in FormTag().Matches(html))
            {
                if (!string.Equals(Html.Attribute(tag.Value, "method"), "post", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                posts++;
                var end = html.IndexOf("</form>", tag.Index, StringComparison.Ordinal);
                var form = html[tag.Index..end];
                if (!Html.HiddenInputs(form).Any(f => f.Name == TokenField && f.Value.Length > 20))
                {
                    missing.Add(path + ": " + tag.Value);
                }
            }

            formsByPage[path] = posts;
            foreach (Match link in LocalLink().Matches(html))
            {
                var target = WebUtility.HtmlDecode(link.Groups[1].Value);
                if (!target.StartsWith("//", StringComparison.Ordinal))
                {
                    queue.Enqueue(target);
                }
            }
        }

        Assert.True(missing.Count == 0, "forms without the antiforgery token:\n" + string.Join('\n', missing));
        Assert.True(formsByPage.Values.Sum() >= 20, string.Join('\n', formsByPage.Select(p => $"{p.Key}: {p.Value}")));
        foreach (var page in new[] { "/account", "/account/security", "/account/password", "/account/delete", "/account/reauth", "/login", "/login/recovery", "/logout", "/files?path=/notes/", "/files/delete?path=/notes/a.txt", "/files/move?from=/notes/a.txt" })
        {
            Assert.True(formsByPage.GetValueOrDefault(page) > 0, $"no POST form seen on {page}: " + string.Join(", ", formsByPage.Keys));
        }
    }

    [Fact]
    public async Task Every_page_refuses_a_post_without_the_antiforgery_token()
    {
        var (_, browser) = await AccountTestHelpers.LoggedInUserAsync(server, isAdmin: true);
        using var _ = browser;
        await browser.GetPageAsync("/account");
        var paths = PagePaths().ToList();
        Assert.Contains("/login", paths);
        Assert.Contains("/account/password", paths);

        var accepted = new List<string>();
        foreach (var path in paths)
        {
            // The consent page is reached only with an authorization request (OpenIddict first).
            var target = path == OAuthQuery.AuthorizePath ? path + "?" + OAuthQuery.Implicit("https://app.example/cb", "notes:rw") : path;
            using var response = await browser.PostAsync(target, [new("UserName", "someone"), new("Password", Password)]);
            if (response.StatusCode != HttpStatusCode.BadRequest)
            {
                accepted.Add($"{path}: {(int)response.StatusCode}");
            }
        }

        Assert.True(accepted.Count == 0, "POST without an antiforgery token not refused with 400:\n" + string.Join('\n', accepted));
        Assert.True(await IsLoggedInAsync(browser));
    }
}

public sealed class SessionCookieTests_Sqlite(SecuritySqliteFixture server) : SessionCookieTests(server), IClassFixture<SecuritySqliteFixture>;

public sealed class SessionCookieTests_Postgres(SecurityPostgresFixture server) : SessionCookieTests(server), IClassFixture<SecurityPostgresFixture>;
