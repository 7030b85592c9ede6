using System.Net;
using System.Text.RegularExpressions;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Activity;

/// <summary>
/// The audit log records who did what from where (OWASP ASVS 4.0.3 V7.1.1, V7.1.3, V7.1.4,
/// V7.2.1): logins and refused attempts with address and browser, changes to how people log
/// in, apps given access and revoked, the operator's commands; and never a password, code,
/// key or token.
/// </summary>
public abstract partial class AuditRecordingTests(ActivityServerFixture server)
{
    private const string Password = SecurityPages.Password;

    private async Task<string> NewUserAsync()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        return user;
    }

    [Fact]
    public async Task A_failed_and_an_ok_login_are_recorded_with_the_address_and_the_browser()
    {
        var user = await NewUserAsync();
        var id = await Audit.UserIdAsync(server, user);
        using var browser = new Browser(server) { ClientIp = "203.0.113.7", UserAgent = Audit.Firefox };

        using (var wrong = await browser.TryLoginAsync(user, "not the password at all"))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        await browser.LoginAsync(user, Password);

        var events = await Audit.EventsAsync(server, user);
        Assert.Equal([AuditKind.LoginFailed, AuditKind.LoginOk], events.Select(e => e.Kind));
        Assert.All(events, e =>
        {
            Assert.Equal(id, e.UserId);
            Assert.Equal("203.0.113.7", e.Ip);
            Assert.Equal(Audit.Firefox, e.UserAgent);
            Assert.InRange(e.TimeUtc, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        });
        Assert.Equal("Wrong password.", events[0].Detail);
        Assert.Equal("anonymous", events[0].Actor);
        Assert.Equal(user, events[1].Actor);
        Assert.Equal("With the password.", events[1].Detail);
    }

    [Fact]
    public async Task A_login_with_an_unknown_name_is_recorded_by_the_name_alone_and_without_an_account()
    {
        var unknown = ServerFixture.NewUser();
        using var browser = new Browser(server) { ClientIp = "198.51.100.23" };
        using (var response = await browser.TryLoginAsync(unknown, Password))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var row = Assert.Single(await Audit.AllEventsAsync(server), e => e.Detail?.Contains(unknown, StringComparison.Ordinal) == true);
        Assert.Equal(AuditKind.LoginFailed, row.Kind);
        Assert.Null(row.UserId);
        Assert.Null(row.UserName);
        Assert.Equal("198.51.100.23", row.Ip);
        Assert.Equal($"Password login. Unknown user name “{unknown}”.", row.Detail);
    }

    [Fact]
    public async Task Turning_two_step_verification_on_and_off_and_its_logins_are_recorded()
    {
        var user = await NewUserAsync();
        string key;
        IReadOnlyList<string> codes;
        using (var first = new Browser(server))
        {
            await first.LoginAsync(user, Password);
            (key, codes) = await SecurityPages.EnableAuthenticatorAsync(first, TimeProvider.System);
        }

        using var browser = new Browser(server) { ClientIp = "192.0.2.44", UserAgent = Audit.Firefox };
        var page = await browser.GetPageAsync(await SecurityPages.PasswordStepAsync(browser, user));
        using (var wrong = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", Totp.Code(key, DateTimeOffset.UtcNow.AddHours(-1)))))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using (var right = await browser.SubmitAsync(page, "id=\"two-factor\"", ("Code", SecurityPages.LaterCode(key, TimeProvider.System))))
        {
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        }

        var security = await browser.GetPageAsync("/account/security");
        using (var off = await browser.SubmitAsync(security, "id=\"disable-2fa\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
        }

        // With the app off, the password alone logs in again.
        using var later = new Browser(server);
        await later.LoginAsync(user, Password);

        var events = await Audit.EventsAsync(server, user);
        Assert.Equal(
            [AuditKind.LoginOk, AuditKind.TwoFactorEnabled, AuditKind.LoginTwoFactorFailed, AuditKind.LoginOk, AuditKind.TwoFactorDisabled, AuditKind.LoginOk],
            events.Select(e => e.Kind));
        Assert.Equal($"With an authenticator app; {codes.Count} new recovery codes.", events[1].Detail);
        Assert.Equal("Wrong authenticator code.", events[2].Detail);
        Assert.Equal("anonymous", events[2].Actor);
        Assert.Equal("With the password and a code from the authenticator app.", events[3].Detail);
        Assert.Equal("192.0.2.44", events[3].Ip);
        Assert.Equal(user, events[4].Actor);
        Assert.Equal("192.0.2.44", events[4].Ip);
    }

    [Fact]
    public async Task A_recovery_code_login_new_codes_and_a_removed_passkey_are_recorded()
    {
        var user = await NewUserAsync();
        IReadOnlyList<string> codes;
        using (var first = new Browser(server))
        {
            await first.LoginAsync(user, Password);
            (_, codes) = await SecurityPages.EnableAuthenticatorAsync(first, TimeProvider.System);
        }

        using var browser = new Browser(server);
        await SecurityPages.PasswordStepAsync(browser, user);
        var recovery = await browser.GetPageAsync("/login/recovery");
        using (var wrong = await browser.SubmitAsync(recovery, "id=\"recovery\"", ("Code", "aaaaa-bbbbb")))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using (var used = await browser.SubmitAsync(recovery, "id=\"recovery\"", ("Code", codes[0])))
        {
            Assert.Equal(HttpStatusCode.Redirect, used.StatusCode);
        }

        var made = await browser.GetPageAsync("/account/security/recovery-codes");
        using (var renewed = await browser.SubmitAsync(made, "id=\"make-codes\""))
        {
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        }

        await SecurityPages.AddStoredPasskeyAsync(server, user, "Old phone");
        var security = await browser.GetPageAsync("/account/security");
        using (var removed = await browser.SubmitAsync(security, "class=\"remove-passkey inline\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        }

        var events = await Audit.EventsAsync(server, user);
        Assert.Equal(
            [AuditKind.LoginOk, AuditKind.TwoFactorEnabled, AuditKind.LoginTwoFactorFailed, AuditKind.RecoveryCodeUsed, AuditKind.RecoveryCodesGenerated, AuditKind.PasskeyRemoved],
            events.Select(e => e.Kind));
        Assert.Equal("Wrong recovery code.", events[2].Detail);
        Assert.Equal("After the password. 9 codes left.", events[3].Detail);
        Assert.Equal("Passkey “Old phone”.", events[5].Detail);
    }

    [Fact]
    public async Task An_apps_grant_and_its_revocation_on_the_account_page_are_recorded()
    {
        using var oauth = await OAuthBrowser.LoggedInAsync(server);
        var user = oauth.User;
        var redirect = OAuthRedirect.FromFragment(await oauth.GrantAsync(OAuthQuery.Implicit("https://notes.example/cb", "notes:rw contacts:r"), lifetime: 90));
        Assert.NotNull(redirect["access_token"]);

        using var browser = new Browser(server, server.BaseAddress, oauth.Cookies);
        var account = await browser.GetPageAsync("/account");
        var grant = GrantId().Match(account).Groups[1].Value;
        using (var revoke = await browser.SubmitAsync(account, $"value=\"{grant}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        var events = (await Audit.EventsAsync(server, user)).Where(e => e.Kind is AuditKind.GrantCreated or AuditKind.GrantRevoked).ToList();
        Assert.Equal([AuditKind.GrantCreated, AuditKind.GrantRevoked], events.Select(e => e.Kind));
        Assert.Equal("https://notes.example may read your contacts, read and write your notes, for 90 days.", events[0].Detail);
        Assert.Equal("https://notes.example on the account page.", events[1].Detail);
        Assert.All(events, e => Assert.Equal(user, e.Actor));
    }

    [Fact]
    public async Task No_password_code_key_or_token_appears_in_any_recorded_event()
    {
        var user = await NewUserAsync();
        const string WrongPassword = "Tr0ub4dor & 3 wrong";
        using var browser = new Browser(server);

        // Typed into the name field by mistake: a password is not a valid user name.
        using (await browser.TryLoginAsync(Password, Password))
        {
        }

        using (await browser.TryLoginAsync(user, WrongPassword))
        {
        }

        await browser.LoginAsync(user, Password);
        var (key, codes) = await SecurityPages.EnableAuthenticatorAsync(browser, TimeProvider.System);
        var secrets = new List<string> { Password, WrongPassword, key, Totp.Code(key, DateTimeOffset.UtcNow) };
        secrets.AddRange(codes);

        using (var second = new Browser(server))
        {
            var page = await second.GetPageAsync(await SecurityPages.PasswordStepAsync(second, user));
            var code = SecurityPages.LaterCode(key, TimeProvider.System);
            secrets.Add(code);
            using var right = await second.SubmitAsync(page, "id=\"two-factor\"", ("Code", code));
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);

            // An app's token, and a share link's URL and password.
            var token = await server.Tokens.IssueAsync(user, "notes:rw");
            secrets.Add(token);
            await Sharing.ShareHelpers.PutTextAsync(server, user, token, "/notes/todo.txt", "buy milk");
            const string SharePassword = "open sesame for the link";
            secrets.Add(SharePassword);
            var shares = await second.GetPageAsync("/account/shares");
            using var created = await second.SubmitAsync(shares, "id=\"create-share\"", ("path", "notes/todo.txt"), ("expiresDays", "7"), ("password", SharePassword));
            var shown = await created.Content.ReadAsStringAsync();
            var url = Html.Attribute(Html.Element(shown, "id=\"new-link\"", ">")!, "value")!;
            secrets.Add(url[(url.LastIndexOf('/') + 1)..]);
        }

        var mine = await Audit.EventsAsync(server, user);
        Assert.Contains(mine, e => e.Kind == AuditKind.LoginFailed);
        Assert.Contains(mine, e => e.Kind == AuditKind.TwoFactorEnabled);
        Assert.Contains(mine, e => e.Kind == AuditKind.ShareCreated && e.Detail!.Contains("/notes/todo.txt", StringComparison.Ordinal) && e.Detail.Contains("with a password", StringComparison.Ordinal));
        var all = await Audit.AllEventsAsync(server);
        Assert.Contains(all, e => e.Kind == AuditKind.LoginFailed && e.UserId is null && e.Detail == "Password login. The user name typed is not a valid one.");
        foreach (var e in all)
        {
            var text = string.Join('\n', e.Detail, e.UserAgent, e.Actor, e.UserName, e.Ip);
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task The_operators_commands_are_recorded_as_cli_and_audit_list_prints_them()
    {
        var user = await NewUserAsync();
        var issued = await CliRunner.RunAsync(server, null, "tokens", "issue", user, "--scope", "notes:r", "--origin", "https://cli-app.example");
        Assert.True(issued.ExitCode == 0, issued.ToString());
        var token = issued.Stdout.Trim();
        var quota = await CliRunner.RunAsync(server, null, "users", "set-quota", user, "10M");
        Assert.True(quota.ExitCode == 0, quota.ToString());

        var events = await Audit.EventsAsync(server, user);
        Assert.Equal([AuditKind.GrantCreated, AuditKind.AdminQuotaSet], events.Select(e => e.Kind));
        Assert.All(events, e =>
        {
            Assert.Equal("cli", e.Actor);
            Assert.Null(e.Ip);
            Assert.NotNull(e.UserId);
            Assert.DoesNotContain(token, e.Detail!, StringComparison.Ordinal);
        });
        Assert.Equal("https://cli-app.example: notes:r, until revoked; a token issued from the command line.", events[0].Detail);

        var list = await CliRunner.RunAsync(server, null, "audit", "list", "--user", user, "--kind", "admin");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("TIME (UTC)", lines[0], StringComparison.Ordinal);
        Assert.Contains("admin.quota_set", lines[1], StringComparison.Ordinal);
        Assert.Contains(user, lines[1], StringComparison.Ordinal);
        Assert.Contains("10485760 bytes.", lines[1], StringComparison.Ordinal);

        var later = await CliRunner.RunAsync(server, null, "audit", "list", "--user", user, "--since", DateTime.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("No events.", later.Stdout.Trim());
        var bad = await CliRunner.RunAsync(server, null, "audit", "list", "--kind", "login.maybe");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'login.maybe' is not a kind or category of events", bad.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex("data-grant=\"([^\"]+)\"")]
    private static partial Regex GrantId();
}

public sealed class AuditRecordingTests_Sqlite(ActivitySqliteFixture server) : AuditRecordingTests(server), IClassFixture<ActivitySqliteFixture>;

public sealed class AuditRecordingTests_Postgres(ActivityPostgresFixture server) : AuditRecordingTests(server), IClassFixture<ActivityPostgresFixture>;
