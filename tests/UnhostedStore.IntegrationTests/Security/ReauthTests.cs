using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts.Security;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using static UnhostedStore.IntegrationTests.Security.SecurityPages;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// Sessions and re-authentication (OWASP ASVS 4.0.3 V3.2.1, V3.7.1): every login is a new
/// session with its time in it; sensitive changes need a login from the last 10 minutes (the
/// test clock moves on instead of waiting); the password can go only while a passkey and recovery
/// codes remain; the passkey login's options name no account.
/// </summary>
public abstract class ReauthTests(SecurityServerFixture server)
{
    private async Task<(string User, Browser Browser)> LoggedInAsync()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var browser = new Browser(server);
        await browser.LoginAsync(user, Password);
        return (user, browser);
    }

    private string? CookieValue(Browser browser, string name) =>
        browser.Cookies.GetCookies(server.BaseAddress).FirstOrDefault(c => c.Name.StartsWith(name, StringComparison.Ordinal))?.Value;

    [Fact]
    public async Task Every_login_starts_a_new_session_with_its_time_and_a_new_antiforgery_cookie()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using var browser = new Browser(server);

        var before = server.Clock.GetUtcNow();
        await browser.GetPageAsync("/login");
        var antiforgery = CookieValue(browser, ".AspNetCore.Antiforgery.");
        Assert.NotNull(antiforgery);
        await browser.LoginAsync(user, Password);
        var first = CookieValue(browser, "unhostedstore");
        Assert.Null(CookieValue(browser, ".AspNetCore.Antiforgery."));

        var session = Session(server, browser)!;
        Assert.Equal(user, session.Identity!.Name);
        Assert.Equal("pwd", session.FindFirst("amr")?.Value);
        var authTime = RecentLogin.AuthTime(session)!.Value;
        Assert.InRange(authTime, before.AddSeconds(-1), server.Clock.GetUtcNow().AddSeconds(1));

        await browser.GetPageAsync("/account");
        var renewed = CookieValue(browser, ".AspNetCore.Antiforgery.");
        Assert.NotNull(renewed);
        Assert.NotEqual(antiforgery, renewed);

        await browser.LoginAsync(user, Password);
        var second = CookieValue(browser, "unhostedstore");
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Changing_the_password_of_a_login_older_than_ten_minutes_first_asks_to_confirm_it_is_you()
    {
        var (user, browser) = await LoggedInAsync();
        using (browser)
        {
            var form = await browser.GetPageAsync("/account/password");
            server.Clock.Advance(TimeSpan.FromMinutes(11));

            using (var stale = await browser.GetAsync("/account/password"))
            {
                Assert.Equal(HttpStatusCode.Redirect, stale.StatusCode);
                Assert.Equal("/account/reauth?ReturnUrl=%2Faccount%2Fpassword", stale.Headers.Location!.OriginalString);
            }

            // The form that was already open does not change anything either.
            const string NewPassword = "a brand new passphrase";
            using (var post = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", Password), ("NewPassword", NewPassword), ("ConfirmPassword", NewPassword)))
            {
                Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
                Assert.StartsWith("/account/reauth?", post.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }

            await using (var scope = server.CreateScope())
            {
                var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
                Assert.True(await users.CheckPasswordAsync((await users.FindByNameAsync(user))!, Password));
            }

            var reauth = await browser.GetPageAsync("/account/reauth?ReturnUrl=%2Faccount%2Fpassword");
            Assert.Contains("Confirm it is you", reauth, StringComparison.Ordinal);
            using (var wrong = await browser.SubmitAsync(reauth, "id=\"reauth\"", ("Password", "not my password")))
            {
                Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
                Assert.Contains("That password is not right.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            var oldSession = CookieValue(browser, "unhostedstore");
            using (var right = await browser.SubmitAsync(reauth, "id=\"reauth\"", ("Password", Password)))
            {
                Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
                Assert.Equal("/account/password", right.Headers.Location!.OriginalString);
            }

            Assert.NotEqual(oldSession, CookieValue(browser, "unhostedstore"));
            Assert.InRange(RecentLogin.AuthTime(Session(server, browser)!)!.Value, server.Clock.GetUtcNow().AddSeconds(-5), server.Clock.GetUtcNow().AddSeconds(1));

            form = await browser.GetPageAsync("/account/password");
            using (var changed = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", Password), ("NewPassword", NewPassword), ("ConfirmPassword", NewPassword)))
            {
                Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
                Assert.Equal("/account", changed.Headers.Location!.OriginalString);
            }

            using var fresh = new Browser(server);
            await fresh.LoginAsync(user, NewPassword);
        }
    }

    [Fact]
    public async Task The_password_goes_only_while_a_passkey_and_recovery_codes_remain_and_then_password_login_is_impossible()
    {
        var (user, browser) = await LoggedInAsync();
        using (browser)
        {
            var security = await browser.GetPageAsync("/account/security");
            Assert.Contains("id=\"keep-password\"", security, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"remove-password\"", security, StringComparison.Ordinal);

            // Forged without the button: refused all the same.
            var token = Html.HiddenInputs(Html.Form(security, "id=\"setup-2fa\"")).Single(i => i.Name == "__RequestVerificationToken").Value;
            using (var forged = await browser.PostAsync("/account/security?handler=removePassword", [new("__RequestVerificationToken", token)]))
            {
                Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
                Assert.Contains("only while you have a passkey and unused recovery codes", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            var passkey = await AddStoredPasskeyAsync(server, user, "my phone");
            Assert.DoesNotContain("id=\"remove-password\"", await browser.GetPageAsync("/account/security"), StringComparison.Ordinal);
            var make = await browser.GetPageAsync("/account/security/recovery-codes");
            using (var made = await browser.SubmitAsync(make, "id=\"make-codes\""))
            {
                Assert.Equal(10, Codes(await made.Content.ReadAsStringAsync()).Count);
            }

            security = await browser.GetPageAsync("/account/security");
            using (var removed = await browser.SubmitAsync(security, "id=\"remove-password\""))
            {
                Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
            }

            Assert.Null((await AccountAsync(server, user)).PasswordHash);
            security = await browser.GetPageAsync("/account/security");
            Assert.Contains("logging in with a password is not possible", security, StringComparison.Ordinal);

            // The only passkey of an account without a password stays.
            using (var last = await browser.SubmitAsync(security, "class=\"remove-passkey inline\""))
            {
                Assert.Equal(HttpStatusCode.OK, last.StatusCode);
                Assert.Contains("This is your only passkey", await last.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            await using (var scope = server.CreateScope())
            {
                var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
                Assert.NotNull(await users.GetPasskeyAsync((await users.FindByNameAsync(user))!, passkey));
            }

            using (var other = new Browser(server))
            {
                using var refused = await other.TryLoginAsync(user, Password);
                Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
                Assert.Contains("The user name or password is not right.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // Deleting an account without a password needs a recent login instead.
            server.Clock.Advance(TimeSpan.FromMinutes(11));
            using (var delete = await browser.GetAsync("/account/delete"))
            {
                Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
                Assert.StartsWith("/account/reauth?", delete.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }

            // Without a password, re-authentication offers only a passkey.
            var reauth = await browser.GetPageAsync("/account/reauth?ReturnUrl=%2Faccount%2Fpassword");
            Assert.DoesNotContain("id=\"reauth\"", reauth, StringComparison.Ordinal);
            Assert.Contains("id=\"reauth-passkey\"", reauth, StringComparison.Ordinal);
        }

        // Setting a password again (after a fresh login with a recovery code).
        using var back = new Browser(server);
        var recoveryPage = await back.GetPageAsync("/login/recovery");
        await using (var scope = server.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
            var account = (await users.FindByNameAsync(user))!;
            var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(account, 1))!.ToList();
            using var recovered = await back.SubmitAsync(recoveryPage, "id=\"recovery\"", ("UserName", user), ("Code", codes[0]));
            Assert.Equal(HttpStatusCode.Redirect, recovered.StatusCode);
        }

        var set = await back.GetPageAsync("/account/password");
        Assert.DoesNotContain("name=\"CurrentPassword\"", set, StringComparison.Ordinal);
        const string Again = "my password once more";
        using (var done = await back.SubmitAsync(set, "id=\"password\"", ("NewPassword", Again), ("ConfirmPassword", Again)))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        }

        using var withPassword = new Browser(server);
        await withPassword.LoginAsync(user, Again);
    }

    [Fact]
    public async Task Adding_or_removing_a_passkey_and_turning_off_two_step_verification_need_a_recent_login()
    {
        var (user, browser) = await LoggedInAsync();
        using (browser)
        {
            await AddStoredPasskeyAsync(server, user, "first");
            await AddStoredPasskeyAsync(server, user, "second");
            await EnableAuthenticatorAsync(browser, server.Clock);
            var security = await browser.GetPageAsync("/account/security");
            var add = Html.Form(security, "id=\"add-passkey\"");
            var token = Html.HiddenInputs(add).Single(i => i.Name == "__RequestVerificationToken").Value;

            // Fresh: the creation options are the passkey's (this account, user verification required).
            using var script = new HttpClient(new SocketsHttpHandler { CookieContainer = browser.Cookies }) { BaseAddress = server.BaseAddress };
            using (var fresh = await PostWithTokenAsync(script, Html.Attribute(add, "data-options-url")!, token))
            {
                using var options = JsonDocument.Parse(await fresh.Content.ReadAsStringAsync());
                Assert.Equal(user, options.RootElement.GetProperty("user").GetProperty("name").GetString());
                Assert.Equal(2, options.RootElement.GetProperty("excludeCredentials").GetArrayLength());
            }

            server.Clock.Advance(TimeSpan.FromMinutes(11));
            using (var stale = await PostWithTokenAsync(script, Html.Attribute(add, "data-options-url")!, token))
            {
                using var answer = JsonDocument.Parse(await stale.Content.ReadAsStringAsync());
                Assert.Equal("/account/reauth?ReturnUrl=%2Faccount%2Fsecurity", answer.RootElement.GetProperty("reauth").GetString());
            }

            foreach (var marker in new[] { "class=\"remove-passkey inline\"", "id=\"disable-2fa\"", "id=\"add-passkey\"" })
            {
                using var refused = await browser.SubmitAsync(security, marker, ("credential", "{}"));
                Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
                Assert.StartsWith("/account/reauth?ReturnUrl=", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }

            var account = await AccountAsync(server, user);
            Assert.True(account.TwoFactorEnabled);
            await using var scope = server.CreateScope();
            Assert.Equal(2, (await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().GetPasskeysAsync(account)).Count);

            // Renaming is harmless: no confirmation needed.
            using var renamed = await browser.SubmitAsync(security, "class=\"rename-passkey inline\"", ("name", "renamed"));
            Assert.Equal(HttpStatusCode.Redirect, renamed.StatusCode);
            Assert.Contains("renamed", await browser.GetPageAsync("/account/security"), StringComparison.Ordinal);
        }
    }

    private static async Task<HttpResponseMessage> PostWithTokenAsync(HttpClient client, string url, string token)
    {
        // As passkeys.js asks: the form's antiforgery token in a header.
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Add("RequestVerificationToken", token);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    [Fact]
    public async Task The_passkey_login_options_name_no_account_and_need_the_antiforgery_token()
    {
        using var browser = new Browser(server);
        var login = await browser.GetPageAsync("/login");
        var form = Html.Form(login, "id=\"passkey-login\"");
        var optionsUrl = Html.Attribute(form, "data-options-url")!;
        var token = Html.HiddenInputs(form).Single(i => i.Name == "__RequestVerificationToken").Value;

        using (var withoutToken = await browser.PostAsync(optionsUrl, []))
        {
            Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        }

        var challenges = new List<string>();
        using var script = new HttpClient(new SocketsHttpHandler { CookieContainer = browser.Cookies }) { BaseAddress = server.BaseAddress };
        for (var i = 0; i < 2; i++)
        {
            // As passkeys.js asks: the form's antiforgery token in a header.
            using var request = new HttpRequestMessage(HttpMethod.Post, optionsUrl);
            request.Headers.Add("RequestVerificationToken", token);
            using var response = await script.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var options = json.RootElement;
            challenges.Add(options.GetProperty("challenge").GetString()!);
            Assert.Equal("required", options.GetProperty("userVerification").GetString());
            Assert.Equal(server.BaseAddress.Host, options.GetProperty("rpId").GetString());

            // No account named, no credential listed: the browser offers whatever passkey it has.
            Assert.False(options.TryGetProperty("allowCredentials", out var allowed) && allowed.ValueKind == JsonValueKind.Array && allowed.GetArrayLength() > 0);
            Assert.False(options.TryGetProperty("user", out _));
        }

        Assert.NotEqual(challenges[0], challenges[1]);

        // A made-up answer is refused with plain words and counts as a failed login.
        using var bogus = await browser.SubmitAsync(login, "id=\"passkey-login\"", ("credential", "{\"id\":\"x\",\"type\":\"public-key\"}"));
        Assert.Equal(HttpStatusCode.OK, bogus.StatusCode);
        Assert.Contains("That passkey was not accepted", await bogus.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class ReauthTests_Sqlite(SecuritySqliteFixture server) : ReauthTests(server), IClassFixture<SecuritySqliteFixture>;

public sealed class ReauthTests_PostgresS3(SecurityPostgresS3Fixture server) : ReauthTests(server), IClassFixture<SecurityPostgresS3Fixture>;
