using System.Net;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// Who reaches <c>/admin/**</c>: without a session, the login (and back); a logged-in person who
/// is not an admin, 403 for every page and every form, and nothing changes; an admin, all of it;
/// and a demoted or disabled admin loses it at the next request.
/// </summary>
public abstract class AdminAccessTests(SecurityServerFixture server)
{
    [Fact]
    public async Task Without_a_session_every_admin_page_sends_to_the_login_and_back()
    {
        var target = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, target, Password);
        using var anonymous = new Browser(server);
        foreach (var path in Paths.Concat([UserPath(target), UserPath(target) + "/disable"]))
        {
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/login?ReturnUrl=" + Uri.EscapeDataString(path), response.Headers.Location!.PathAndQuery());
        }

        using var post = await anonymous.PostAsync(UserPath(target) + "/disable", [new("ConfirmSelf", "true")]);
        Assert.NotEqual(HttpStatusCode.OK, post.StatusCode);
        Assert.Null((await AccountAsync(server, target)).DisabledUtc);
    }

    [Fact]
    public async Task A_logged_in_user_who_is_not_an_admin_gets_403_for_every_admin_page_and_form_and_nothing_changes()
    {
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var target = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, target, Password);
        var token = await server.Tokens.IssueAsync(target, "notes:rw");

        foreach (var path in Paths.Concat([UserPath(target), UserPath(target) + "/disable", UserPath(target) + "/password"]))
        {
            using var response = await browser.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode}");
            Assert.Contains("id=\"forbidden\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A real antiforgery token of this session, so that only the admin check can refuse.
        var account = await browser.GetPageAsync("/account");
        var antiforgery = Html.HiddenInputs(Html.Form(account, "action=\"/logout\"")).Single(i => i.Name == "__RequestVerificationToken").Value;
        var posts = new (string Path, (string, string)[] Fields)[]
        {
            (UserPath(target) + "/disable", []),
            (UserPath(target) + "/promote", []),
            (UserPath(target) + "/delete", [("EraseNow", "true")]),
            (UserPath(target) + "/reset-2fa", []),
            (UserPath(target) + "/password?handler=set", [("NewPassword", "taken over by someone"), ("ConfirmPassword", "taken over by someone")]),
            (UserPath(target) + "/password?handler=link", []),
            (UserPath(target) + "?handler=quota", [("choice", "own"), ("size", "1")]),
            (UserPath(target) + "?handler=revokeAll", []),
            ("/admin/create-user", [("UserName", ServerFixture.NewUser()), ("Method", "password"), ("Password", "a first password"), ("IsAdmin", "true")]),
            ("/admin/invites?handler=create", []),
            ("/admin/settings?handler=signup", [("policyName", "open")]),
            ("/admin/settings?handler=twoFactor", [("required", "on")]),
        };
        foreach (var (path, fields) in posts)
        {
            using var response = await browser.PostAsync(path, fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)).Append(new("__RequestVerificationToken", antiforgery)));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"POST {path}: {(int)response.StatusCode}");
        }

        var after = await AccountAsync(server, target);
        Assert.Null(after.DisabledUtc);
        Assert.False(after.IsAdmin);
        Assert.False((await AccountAsync(server, user)).IsAdmin);
        Assert.Equal(HttpStatusCode.Created, await WriteAsync(server, target, token, "still-works"));
        Assert.Null(await SettingAsync(server, "Accounts.Signup"));
        Assert.Null(await SettingAsync(server, "Accounts.RequireTwoFactor"));
        Assert.True(await SecurityPages.IsLoggedInAsync(browser));
    }

    [Fact]
    public async Task An_admin_opens_every_admin_page_and_finds_the_way_there_on_the_account_page()
    {
        var (admin, browser) = await LoggedInAdminAsync(server);
        using var _ = browser;
        Assert.Contains("id=\"admin-link\"", await browser.GetPageAsync("/account"), StringComparison.Ordinal);
        foreach (var path in Paths.Append(UserPath(admin)))
        {
            var page = await browser.GetPageAsync(path);
            Assert.Contains("id=\"admin-nav\"", page, StringComparison.Ordinal);
        }

        var (_, plain) = await AccountTestHelpers.LoggedInUserAsync(server);
        using var __ = plain;
        Assert.DoesNotContain("id=\"admin-link\"", await plain.GetPageAsync("/account"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_who_is_demoted_gets_403_at_the_next_request()
    {
        var (admin, browser) = await LoggedInAdminAsync(server);
        using var _ = browser;
        var (other, otherBrowser) = await LoggedInAdminAsync(server);
        using var __ = otherBrowser;
        await browser.GetPageAsync("/admin");

        await ConfirmedAsync(otherBrowser, admin, "demote");

        using var response = await browser.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False((await AccountAsync(server, admin)).IsAdmin);
        Assert.True((await AccountAsync(server, other)).IsAdmin);
    }

    [Fact]
    public async Task An_unknown_user_or_change_is_a_plain_404()
    {
        var (_, browser) = await LoggedInAdminAsync(server);
        using var _ = browser;
        foreach (var path in new[] { UserPath("nobody-" + ServerFixture.NewUser()), UserPath("Not Valid"), UserPath("nobody-x") + "/disable", "/admin/users/" + ServerFixture.NewUser() + "/frobnicate" })
        {
            using var response = await browser.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
        }
    }
}

public sealed class AdminAccessTests_Sqlite(AdminSqliteFixture server) : AdminAccessTests(server), IClassFixture<AdminSqliteFixture>;

public sealed class AdminAccessTests_Postgres(AdminPostgresFixture server) : AdminAccessTests(server), IClassFixture<AdminPostgresFixture>;

internal static class UriExtensions
{
    /// <summary>The path and query of a redirect target, absolute or relative.</summary>
    public static string PathAndQuery(this Uri location) =>
        location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
}
