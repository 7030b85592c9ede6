using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// What an admin does to one account on <c>/admin/users/&lt;name&gt;</c>: disable and enable
/// (tokens refused at the next request, login and sessions too, and everything back after),
/// admin rights, quota, apps, two-step verification, deletion; and the list with its search.
/// </summary>
public abstract partial class AdminUserTests(SecurityServerFixture server)
{
    [Fact]
    public async Task Disabling_refuses_the_users_app_token_at_the_next_request_and_their_login_and_session_and_enabling_brings_all_back()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var (user, userBrowser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var __ = userBrowser;
        var issued = await Browser.IssueAsync(server, user, App, 30, "notes:rw");
        var token = issued.AccessToken;

        // Used (and so cached as valid) before the change.
        Assert.Equal(HttpStatusCode.Created, await WriteAsync(server, user, token, "before"));
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(server, user, token));

        var page = await admin.GetPageAsync(UserPath(user) + "/disable");
        Assert.Contains("id=\"confirm-form\"", page, StringComparison.Ordinal);
        using (var disabled = await admin.SubmitAsync(page, "id=\"confirm-form\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);
            Assert.Contains("is disabled", await MessageAtAsync(admin, disabled.Headers.Location!.OriginalString), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadAsync(server, user, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await WriteAsync(server, user, token, "after"));
        Assert.NotNull((await AccountAsync(server, user)).DisabledUtc);
        Assert.Contains("data-state=\"Disabled\"", await admin.GetPageAsync(UserPath(user)), StringComparison.Ordinal);

        // The open session ends at its next page; a new login is refused, saying why only to
        // someone with the right password.
        Assert.False(await SecurityPages.IsLoggedInAsync(userBrowser));
        using (var login = await userBrowser.TryLoginAsync(user, Password))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Contains("This account is disabled", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var wrong = await userBrowser.TryLoginAsync(user, "not the password at all"))
        {
            var body = await wrong.Content.ReadAsStringAsync();
            Assert.Contains("The user name or password is not right.", body, StringComparison.Ordinal);
            Assert.DoesNotContain("disabled", body, StringComparison.Ordinal);
        }

        var enabled = await ConfirmedAsync(admin, user, "enable");
        Assert.Contains("is enabled again", await MessageAtAsync(admin, enabled), StringComparison.Ordinal);
        Assert.Null((await AccountAsync(server, user)).DisabledUtc);
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(server, user, token));
        Assert.Equal(HttpStatusCode.Created, await WriteAsync(server, user, token, "after-enable"));
        await userBrowser.LoginAsync(user, Password);
        Assert.True(await SecurityPages.IsLoggedInAsync(userBrowser));
    }

    [Fact]
    public async Task A_disabled_users_grants_stay_set_aside_when_their_deletion_is_cancelled_and_come_back_when_enabled()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");

        await ConfirmedAsync(admin, user, "disable");
        await ConfirmedAsync(admin, user, "delete");
        Assert.Contains("data-state=\"Leaving\"", await admin.GetPageAsync(UserPath(user)), StringComparison.Ordinal);
        await ConfirmedAsync(admin, user, "cancel-deletion");
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadAsync(server, user, token));

        await ConfirmedAsync(admin, user, "enable");
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(server, user, token));
    }

    [Fact]
    public async Task Deleting_disables_at_once_and_cancelling_brings_the_account_back_and_erasing_now_removes_it()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await WriteAsync(server, user, token, "doc"));

        var scheduled = await ConfirmedAsync(admin, user, "delete");
        Assert.Contains("will be erased on", await MessageAtAsync(admin, scheduled), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadAsync(server, user, token));
        var list = await admin.GetPageAsync("/admin/users?q=" + user);
        Assert.Contains("data-state=\"Leaving\"", Html.Element(list, $"data-user=\"{user}\"", "</tr>"), StringComparison.Ordinal);

        await ConfirmedAsync(admin, user, "cancel-deletion");
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(server, user, token));

        var erased = await ConfirmedAsync(admin, user, "delete", ("EraseNow", "true"));
        Assert.Equal("/admin/users", erased);
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadAsync(server, user, token));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await admin.GetAsync(UserPath(user))).StatusCode != HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "the account was not erased within a minute");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Nobody_disables_or_deletes_themselves_here_and_removing_ones_own_admin_rights_needs_a_second_yes()
    {
        var (admin, browser) = await LoggedInAdminAsync(server);
        using var _ = browser;
        await LoggedInAdminAsync(server);

        var mine = await browser.GetPageAsync(UserPath(admin));
        Assert.DoesNotContain("id=\"disable\"", mine, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"delete\"", mine, StringComparison.Ordinal);
        foreach (var change in new[] { "disable", "delete" })
        {
            using var refused = await ConfirmAsync(browser, admin, change);
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("You can't", Html.Text(await refused.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        var demote = await browser.GetPageAsync(UserPath(admin) + "/demote");
        Assert.Contains("id=\"self-warning\"", demote, StringComparison.Ordinal);
        using (var unconfirmed = await browser.SubmitAsync(demote, "id=\"confirm-form\""))
        {
            Assert.Equal(HttpStatusCode.OK, unconfirmed.StatusCode);
            Assert.Contains("Tick the box", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var account = await AccountAsync(server, admin);
        Assert.True(account.IsAdmin);
        Assert.Null(account.DisabledUtc);

        using var confirmed = await browser.SubmitAsync(demote, "id=\"confirm-form\"", ("ConfirmSelf", "true"));
        Assert.Equal("/account", confirmed.Headers.Location!.OriginalString);
        Assert.False((await AccountAsync(server, admin)).IsAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task Making_an_admin_opens_the_admin_pages_to_them_and_removing_it_closes_them()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var (user, userBrowser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var __ = userBrowser;
        Assert.Equal(HttpStatusCode.Forbidden, (await userBrowser.GetAsync("/admin")).StatusCode);

        await ConfirmedAsync(admin, user, "promote");
        Assert.True((await AccountAsync(server, user)).IsAdmin);
        await userBrowser.GetPageAsync("/admin");

        await ConfirmedAsync(admin, user, "demote");
        Assert.False((await AccountAsync(server, user)).IsAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, (await userBrowser.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task Resetting_two_step_verification_turns_off_the_app_removes_the_codes_and_logs_them_in_with_the_password_alone()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var (user, userBrowser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var __ = userBrowser;
        await SecurityPages.EnableAuthenticatorAsync(userBrowser, server.Clock);
        await SecurityPages.AddStoredPasskeyAsync(server, user, "Lost phone");
        Assert.Contains("authenticator app on", await admin.GetPageAsync(UserPath(user)), StringComparison.Ordinal);

        var stamp = (await AccountAsync(server, user)).SecurityStamp;

        await ConfirmedAsync(admin, user, "reset-2fa", ("RemovePasskeys", "true"));

        var account = await AccountAsync(server, user);
        Assert.False(account.TwoFactorEnabled);
        Assert.NotEqual(stamp, account.SecurityStamp);
        var page = await admin.GetPageAsync(UserPath(user));
        Assert.Contains("no authenticator app, 0 passkeys, 0 recovery codes left", Html.Text(page), StringComparison.Ordinal);

        // In again with the password alone.
        using var fresh = new Browser(server);
        using var login = await fresh.TryLoginAsync(user, Password);
        Assert.Equal("/account", login.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Every_way_in_records_the_last_login_shown_in_the_list_and_on_the_users_page()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var (user, userBrowser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var __ = userBrowser;
        var byPassword = (await AccountAsync(server, user)).LastLoginUtc;
        Assert.NotNull(byPassword);
        var row = Html.Element(await admin.GetPageAsync("/admin/users?q=" + user), $"data-user=\"{user}\"", "</tr>")!;
        Assert.Contains(byPassword.Value.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), row, StringComparison.Ordinal);

        // The second step of a two-step login, then a recovery code instead of it.
        var (key, codes) = await SecurityPages.EnableAuthenticatorAsync(userBrowser, server.Clock);
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        using var second = new Browser(server);
        var step = await SecurityPages.PasswordStepAsync(second, user);
        Assert.Equal(byPassword, (await AccountAsync(server, user)).LastLoginUtc);
        var form = await second.GetPageAsync(step);
        using (var done = await second.SubmitAsync(form, "id=\"two-factor\"", ("Code", SecurityPages.LaterCode(key, server.Clock))))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        }

        var byCode = (await AccountAsync(server, user)).LastLoginUtc;
        Assert.True(byCode > byPassword, $"{byCode:O} after {byPassword:O}");

        server.Clock.Advance(TimeSpan.FromMinutes(2));
        using var third = new Browser(server);
        step = await SecurityPages.PasswordStepAsync(third, user);
        var recovery = await third.GetPageAsync("/login/recovery");
        using (var done = await third.SubmitAsync(recovery, "id=\"recovery\"", ("Code", codes[0])))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        }

        Assert.True((await AccountAsync(server, user)).LastLoginUtc > byCode);
        Assert.Contains("id=\"last-login\"", await admin.GetPageAsync(UserPath(user)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_list_finds_users_by_part_of_the_name_and_pages_through_them()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var stem = "p" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < UnhostedStore.Pages.Admin.UsersModel.PageSize + 2; i++)
        {
            await using var scope = server.CreateScope();
            await TestTokens.EnsureAccountAsync(scope.ServiceProvider, $"{stem}-{i:00}");
        }

        // Names are lower case; what is typed need not be.
        var first = await admin.GetPageAsync("/admin/users?q=" + stem.ToUpperInvariant());
        Assert.Contains($"data-total=\"{UnhostedStore.Pages.Admin.UsersModel.PageSize + 2}\"", first, StringComparison.Ordinal);
        Assert.Contains($"data-user=\"{stem}-00\"", first, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-user=\"{stem}-26\"", first, StringComparison.Ordinal);
        Assert.Contains("Page 1 of 2", first, StringComparison.Ordinal);

        var next = Html.Attribute(Html.Element(first, "class=\"next\"", "</a>")!, "href")!;
        var second = await admin.GetPageAsync(next);
        Assert.Contains($"data-user=\"{stem}-26\"", second, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-user=\"{stem}-00\"", second, StringComparison.Ordinal);

        var none = await admin.GetPageAsync("/admin/users?q=" + Uri.EscapeDataString("%_no such user_%"));
        Assert.Contains("data-total=\"0\"", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sensitive_changes_need_a_login_from_the_last_ten_minutes()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var open = await admin.GetPageAsync(UserPath(user) + "/disable");
        server.Clock.Advance(TimeSpan.FromMinutes(11));

        using (var stale = await admin.GetAsync(UserPath(user) + "/disable"))
        {
            Assert.Equal(HttpStatusCode.Redirect, stale.StatusCode);
            Assert.Equal("/account/reauth?ReturnUrl=" + Uri.EscapeDataString(UserPath(user) + "/disable"), stale.Headers.Location!.OriginalString);
        }

        using (var post = await admin.SubmitAsync(open, "id=\"confirm-form\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
            Assert.StartsWith("/account/reauth?ReturnUrl=", post.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        Assert.Null((await AccountAsync(server, user)).DisabledUtc);
        var settings = await admin.GetPageAsync("/admin/settings");
        using (var post = await admin.SubmitAsync(settings, "id=\"signup-form\"", ("policyName", "open")))
        {
            Assert.StartsWith("/account/reauth?ReturnUrl=", post.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        Assert.Null(await SettingAsync(server, "Accounts.Signup"));
    }
}

public sealed class AdminUserTests_Sqlite(AdminSqliteFixture server) : AdminUserTests(server), IClassFixture<AdminSqliteFixture>;

public sealed class AdminUserTests_Postgres(AdminPostgresFixture server) : AdminUserTests(server), IClassFixture<AdminPostgresFixture>;
