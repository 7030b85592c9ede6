using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts.Security;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using static UnhostedStore.IntegrationTests.Security.SecurityPages;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// Two-step verification with an authenticator app (RFC 6238 TOTP) and recovery codes, over
/// real HTTP: enrolment, the second login step (also on the way to an app's consent), lockout,
/// and recovery codes that work once and are stored only as salted hashes.
/// </summary>
public abstract class TwoFactorLoginTests(SecurityServerFixture server)
{
    private async Task<(string User, Browser Browser)> LoggedInAsync()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var browser = new Browser(server);
        await browser.LoginAsync(user, Password);
        return (user, browser);
    }

    [Fact]
    public async Task Turning_on_an_authenticator_app_needs_a_right_code_and_shows_a_qr_code_without_inline_styles()
    {
        var (user, browser) = await LoggedInAsync();
        using (browser)
        {
            var security = await browser.GetPageAsync("/account/security");
            Assert.Contains("id=\"totp-off\"", security, StringComparison.Ordinal);
            using (var start = await browser.SubmitAsync(security, "id=\"setup-2fa\""))
            {
                Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
            }

            var setup = await browser.GetPageAsync("/account/security/authenticator");
            var key = Key(setup);
            Assert.Equal(20, Totp.Base32(key).Length);
            Assert.Equal($"otpauth://totp/UnhostedStore:{user}?secret={key}&issuer=UnhostedStore&digits=6", Html.Attribute(Html.Element(setup, "id=\"otpauth-link\"", "</a>")!, "href"));

            // Inline SVG passes the page CSP (default-src 'self'); a style attribute would not.
            var qr = Html.Element(setup, "<svg class=\"qr\"", "</svg>")!;
            Assert.Contains("viewBox=", qr, StringComparison.Ordinal);
            Assert.Contains("<path", qr, StringComparison.Ordinal);
            Assert.DoesNotContain("style", qr, StringComparison.OrdinalIgnoreCase);

            var wrongCode = Totp.Code(key, server.Clock.GetUtcNow().AddHours(1));
            using (var wrong = await browser.SubmitAsync(setup, "id=\"confirm-2fa\"", ("Code", wrongCode)))
            {
                Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
                Assert.Contains("That code is not right", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.False((await AccountAsync(server, user)).TwoFactorEnabled);

            using var right = await browser.SubmitAsync(setup, "id=\"confirm-2fa\"", ("Code", Totp.Code(key, server.Clock.GetUtcNow())));
            var done = await right.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            Assert.Equal(10, Codes(done).Distinct().Count());
            Assert.True((await AccountAsync(server, user)).TwoFactorEnabled);
            Assert.Contains("id=\"totp-on\"", await browser.GetPageAsync("/account/security"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Recovery_codes_are_stored_only_as_salted_sha256_hashes()
    {
        var (user, browser) = await LoggedInAsync();
        using (browser)
        {
            var (_, codes) = await EnableAuthenticatorAsync(browser, server.Clock);
            var account = await AccountAsync(server, user);

            await using var scope = server.CreateScope();
            var tokens = await ServerFixture.Db(scope).UserTokens.AsNoTracking().Where(t => t.UserId == account.Id).ToListAsync();
            var stored = Assert.Single(tokens, t => t.Name == "RecoveryCodes").Value!;
            foreach (var token in tokens)
            {
                Assert.All(codes, code =>
                {
                    Assert.DoesNotContain(code, token.Value ?? string.Empty, StringComparison.OrdinalIgnoreCase);
                    Assert.DoesNotContain(RecoveryCodeHash.Normalize(code), token.Value ?? string.Empty, StringComparison.OrdinalIgnoreCase);
                });
            }

            var entries = stored.Split(';');
            Assert.Equal(10, entries.Length);
            for (var i = 0; i < codes.Count; i++)
            {
                // salt "." SHA-256(salt ‖ code): recomputed here from the stored salt.
                var parts = entries[i].Split('.');
                var salt = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(parts[0]);
                Assert.Equal(16, salt.Length);
                var expected = System.Security.Cryptography.SHA256.HashData([.. salt, .. System.Text.Encoding.UTF8.GetBytes(RecoveryCodeHash.Normalize(codes[i]))]);
                Assert.Equal(expected, Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(parts[1]));
            }

            Assert.Equal(10, entries.Select(e => e.Split('.')[0]).Distinct().Count());
            Assert.Equal(10, await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().CountRecoveryCodesAsync(account));
        }
    }

    [Fact]
    public async Task A_password_login_then_asks_for_the_authenticator_code_and_only_the_right_code_logs_in()
    {
        var (user, first) = await LoggedInAsync();
        string key;
        using (first)
        {
            (key, _) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        using var browser = new Browser(server);
        var step = await PasswordStepAsync(browser, user);
        Assert.False(await IsLoggedInAsync(browser));
        var page = await browser.GetPageAsync(step);
        Assert.Contains("autocomplete=\"one-time-code\"", page, StringComparison.Ordinal);

        using (var wrong = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", Totp.Code(key, server.Clock.GetUtcNow().AddHours(-1)))))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("That code is not right", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False(await IsLoggedInAsync(browser));
        using (var right = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock))))
        {
            Assert.True(right.StatusCode == HttpStatusCode.Redirect, $"{(int)right.StatusCode}: {await right.Content.ReadAsStringAsync()}");
            Assert.Equal("/account", right.Headers.Location!.OriginalString);
        }

        Assert.True(await IsLoggedInAsync(browser));
        var session = Session(server, browser)!;
        Assert.Equal("mfa", session.FindFirst("amr")?.Value);
        Assert.NotNull(RecentLogin.AuthTime(session));

        // Without the password step first, the code page sends back to the login.
        using var stranger = new Browser(server);
        using var direct = await stranger.GetAsync("/login/2fa");
        Assert.Equal(HttpStatusCode.Redirect, direct.StatusCode);
        Assert.StartsWith("/login", direct.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authenticator_code_logs_in_only_once()
    {
        var (user, first) = await LoggedInAsync();
        string key;
        using (first)
        {
            (key, _) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        // RFC 6238 §5.2: the code that confirmed the set-up is used up too.
        var used = Totp.Code(key, server.Clock.GetUtcNow());
        var next = LaterCode(key, server.Clock);
        using (var browser = new Browser(server))
        {
            var page = await browser.GetPageAsync(await PasswordStepAsync(browser, user));
            using (var replayed = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", used)))
            {
                Assert.Contains("That code is not right", await replayed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using var fresh = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", next));
            Assert.Equal(HttpStatusCode.Redirect, fresh.StatusCode);
        }

        // Someone who saw that code a moment later cannot use it while it is still valid.
        using (var other = new Browser(server))
        {
            var page = await other.GetPageAsync(await PasswordStepAsync(other, user));
            using (var replayed = await other.SubmitAsync(page, "id=\"two-factor\"", ("Code", next)))
            {
                Assert.Contains("That code is not right", await replayed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.False(await IsLoggedInAsync(other));
            page = await other.GetPageAsync(await PasswordStepAsync(other, user));
            using var later = await other.SubmitAsync(page, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock, steps: 2)));
            Assert.Equal(HttpStatusCode.Redirect, later.StatusCode);
        }
    }

    [Fact]
    public async Task Wrong_authenticator_codes_lock_the_account_as_wrong_passwords_do()
    {
        var (user, first) = await LoggedInAsync();
        string key;
        using (first)
        {
            (key, _) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        using var browser = new Browser(server);
        var page = await browser.GetPageAsync(await PasswordStepAsync(browser, user));
        string last = string.Empty;
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", Totp.Code(key, server.Clock.GetUtcNow().AddDays(1 + i))));
            last = await wrong.Content.ReadAsStringAsync();
        }

        Assert.Contains("locked", last, StringComparison.Ordinal);
        using (var right = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock))))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }

        Assert.False(await IsLoggedInAsync(browser));
        Assert.True((await AccountAsync(server, user)).LockoutEnd > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task A_recovery_code_replaces_the_authenticator_code_once_and_only_once()
    {
        var (user, first) = await LoggedInAsync();
        IReadOnlyList<string> codes;
        using (first)
        {
            (_, codes) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        using (var browser = new Browser(server))
        {
            var step = await browser.GetPageAsync(await PasswordStepAsync(browser, user));
            var recovery = await browser.GetPageAsync(Html.Attribute(Html.Element(step, "id=\"use-recovery-code\"", "</a>")!, "href")!);
            Assert.DoesNotContain("name=\"UserName\"", recovery, StringComparison.Ordinal);

            // As people type it: lower case, with spaces.
            var typed = codes[3].ToLowerInvariant().Insert(2, " ");
            using var used = await browser.SubmitAsync(recovery, "id=\"recovery\"", ("Code", typed));
            Assert.Equal(HttpStatusCode.Redirect, used.StatusCode);

            // Logged in (the account page answers), and told how many codes are left.
            Assert.Contains("9 codes left", await browser.GetPageAsync("/account"), StringComparison.Ordinal);
        }

        using (var again = new Browser(server))
        {
            await PasswordStepAsync(again, user);
            var recovery = await again.GetPageAsync(LoginRecoveryPath);
            using var reused = await again.SubmitAsync(recovery, "id=\"recovery\"", ("Code", codes[3]));
            Assert.Equal(HttpStatusCode.OK, reused.StatusCode);
            Assert.Contains("That recovery code is not right", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(await IsLoggedInAsync(again));

            using var other = await again.SubmitAsync(recovery, "id=\"recovery\"", ("Code", codes[4]));
            Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
            Assert.True(await IsLoggedInAsync(again));
        }

        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        Assert.Equal(8, await users.CountRecoveryCodesAsync((await users.FindByNameAsync(user))!));
    }

    [Fact]
    public async Task A_recovery_code_alone_logs_in_only_an_account_without_a_password()
    {
        var (user, first) = await LoggedInAsync();
        IReadOnlyList<string> codes;
        using (first)
        {
            (_, codes) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        // This account has a password: a code alone is refused, with the same words as a wrong one.
        using var browser = new Browser(server);
        var page = await browser.GetPageAsync(LoginRecoveryPath);
        Assert.Contains("name=\"UserName\"", page, StringComparison.Ordinal);
        using (var refused = await browser.SubmitAsync(page, "id=\"recovery\"", ("UserName", user), ("Code", codes[0])))
        {
            Assert.Contains("That recovery code is not right", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var unknown = await browser.SubmitAsync(page, "id=\"recovery\"", ("UserName", ServerFixture.NewUser()), ("Code", codes[0])))
        {
            Assert.Contains("That recovery code is not right", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False(await IsLoggedInAsync(browser));

        // Without a password (passkeys only), the code is the way back in.
        await AddStoredPasskeyAsync(server, user, "lost phone");
        await using (var scope = server.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
            Assert.True((await users.RemovePasswordAsync((await users.FindByNameAsync(user))!)).Succeeded);
        }

        using var recovered = await browser.SubmitAsync(page, "id=\"recovery\"", ("UserName", user), ("Code", codes[0]));
        Assert.Equal(HttpStatusCode.Redirect, recovered.StatusCode);
        Assert.Equal("/account/security", recovered.Headers.Location!.OriginalString);
        Assert.Contains("Add a new passkey now", await browser.GetPageAsync("/account/security"), StringComparison.Ordinal);
        Assert.Equal("otp", Session(server, browser)!.FindFirst("amr")?.Value);
    }

    [Fact]
    public async Task On_the_way_to_an_apps_consent_the_login_asks_for_the_code_and_then_shows_the_consent_page()
    {
        var (user, first) = await LoggedInAsync();
        string key;
        using (first)
        {
            (key, _) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        using var browser = new Browser(server);
        var query = OAuthQuery.Implicit("http://127.0.0.1:9/app/", "notes:rw", "s1");
        using var authorize = await browser.GetAsync(OAuthQuery.AuthorizePath + "?" + query);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var login = authorize.Headers.Location!;
        var returnUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(login.Query)["ReturnUrl"].ToString();
        Assert.StartsWith(OAuthQuery.AuthorizePath + "?", returnUrl, StringComparison.Ordinal);

        var step = await browser.GetPageAsync(await PasswordStepAsync(browser, user, returnUrl));
        using var code = await browser.SubmitAsync(step, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock)));
        Assert.Equal(HttpStatusCode.Redirect, code.StatusCode);
        Assert.Equal(returnUrl, code.Headers.Location!.OriginalString);

        var consent = await browser.GetPageAsync(returnUrl);
        Assert.Contains("id=\"allow\"", consent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_deletion_with_the_password_still_needs_the_authenticator_code()
    {
        var (user, first) = await LoggedInAsync();
        string key;
        using (first)
        {
            (key, _) = await EnableAuthenticatorAsync(first, server.Clock);
        }

        await using (var scope = server.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<UnhostedStore.DataFreedom.Deletion.AccountDeletions>().ScheduleAsync(user, eraseNow: false, CancellationToken.None);
        }

        using var browser = new Browser(server);
        using var login = await browser.TryLoginAsync(user, Password);
        var pending = await login.Content.ReadAsStringAsync();
        Assert.Contains("id=\"cancel-deletion\"", pending, StringComparison.Ordinal);
        using var cancel = await browser.SubmitAsync(pending, "id=\"cancel-deletion\"");
        Assert.Equal(HttpStatusCode.Redirect, cancel.StatusCode);
        var step = cancel.Headers.Location!.OriginalString;
        Assert.StartsWith("/login/2fa", step, StringComparison.Ordinal);
        Assert.False(await IsLoggedInAsync(browser));

        var page = await browser.GetPageAsync(step);
        Assert.Contains("no longer being deleted", page, StringComparison.Ordinal);
        using var code = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", LaterCode(key, server.Clock)));
        Assert.Equal(HttpStatusCode.Redirect, code.StatusCode);
        Assert.True(await IsLoggedInAsync(browser));
    }

    private const string LoginRecoveryPath = "/login/recovery";
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class TwoFactorLoginTests_Sqlite(SecuritySqliteFixture server) : TwoFactorLoginTests(server), IClassFixture<SecuritySqliteFixture>;

public sealed class TwoFactorLoginTests_PostgresS3(SecurityPostgresS3Fixture server) : TwoFactorLoginTests(server), IClassFixture<SecurityPostgresS3Fixture>;
