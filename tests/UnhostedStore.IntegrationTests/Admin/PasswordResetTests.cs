using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using UnhostedStore.Persistence;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// Creating accounts on the admin pages, and the one-time links to set a password: a link works
/// once, for 24 hours; an unknown, altered, used or expired one gets the same plain answer.
/// </summary>
public abstract class PasswordResetTests(SecurityServerFixture server)
{
    private const string NewPassword = "a brand new passphrase";

    private static string TokenOf(string link) => Uri.UnescapeDataString(link[(link.IndexOf("?token=", StringComparison.Ordinal) + 7)..]);

    private async Task<string> ResetLinkAsync(Browser admin, string user)
    {
        var page = await admin.GetPageAsync(UserPath(user) + "/password");
        using var response = await admin.SubmitAsync(page, "id=\"make-link\"");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var link = Html.Attribute(Html.Element(body, "id=\"reset-link\"", ">")!, "value")!;
        Assert.StartsWith(server.BaseAddress.GetLeftPart(UriPartial.Authority) + "/reset-password?token=", link, StringComparison.Ordinal);
        return link;
    }

    private static async Task<HttpResponseMessage> SetPasswordAsync(Browser browser, string link, string password, string? again = null)
    {
        var page = await browser.GetPageAsync(new Uri(link).PathAndQuery);
        return await browser.SubmitAsync(page, "id=\"reset-password\"", ("NewPassword", password), ("ConfirmPassword", again ?? password));
    }

    private static async Task AssertInvalidAsync(Browser browser, string pathAndQuery)
    {
        using var response = await browser.GetAsync(pathAndQuery);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"link-invalid\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"reset-password\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reset_link_sets_a_new_password_once_and_then_says_only_that_it_does_not_work()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var link = await ResetLinkAsync(admin, user);

        using var person = new Browser(server);
        var form = await person.GetPageAsync(new Uri(link).PathAndQuery);
        Assert.Contains(user, Html.Element(form, "id=\"reset-user\"", "</strong>"), StringComparison.Ordinal);
        using (var tooShort = await SetPasswordAsync(person, link, "short"))
        {
            Assert.Equal(HttpStatusCode.OK, tooShort.StatusCode);
            Assert.Contains("at least 10 characters", await tooShort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var differ = await SetPasswordAsync(person, link, NewPassword, "something else entirely"))
        {
            Assert.Contains("The two passwords differ.", await differ.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var done = await SetPasswordAsync(person, link, NewPassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
            Assert.Equal("/login", done.Headers.Location!.OriginalString);
        }

        Assert.Equal(HttpStatusCode.OK, (await person.TryLoginAsync(user, Password)).StatusCode);
        await person.LoginAsync(user, NewPassword);

        await AssertInvalidAsync(new Browser(server), new Uri(link).PathAndQuery);
    }

    [Fact]
    public async Task Unknown_altered_and_expired_links_all_get_the_same_plain_answer()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var link = await ResetLinkAsync(admin, user);
        var token = TokenOf(link);
        using var person = new Browser(server);

        await AssertInvalidAsync(person, "/reset-password");
        await AssertInvalidAsync(person, "/reset-password?token=nonsense");
        var altered = token[..20] + (token[20] == 'A' ? 'B' : 'A') + token[21..];
        await AssertInvalidAsync(person, "/reset-password?token=" + Uri.EscapeDataString(altered));

        // A form posted with a bad token changes nothing either.
        using (var post = await person.SubmitAsync(await person.GetPageAsync(new Uri(link).PathAndQuery), "id=\"reset-password\"", ("Token", altered), ("NewPassword", NewPassword), ("ConfirmPassword", NewPassword)))
        {
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        // Good until 24 hours have passed.
        server.Clock.Advance(TimeSpan.FromHours(23));
        await person.GetPageAsync(new Uri(link).PathAndQuery);
        server.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await AssertInvalidAsync(person, new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, (await person.TryLoginAsync(user, Password)).StatusCode);
    }

    [Fact]
    public async Task A_new_password_ends_older_links_and_setting_one_directly_lifts_a_lockout()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var older = await ResetLinkAsync(admin, user);
        var newer = await ResetLinkAsync(admin, user);
        using var person = new Browser(server);
        using (var done = await SetPasswordAsync(person, newer, NewPassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        }

        await AssertInvalidAsync(person, new Uri(older).PathAndQuery);

        // Wrong passwords only ever lock one network out (per client IP and name); what locks
        // the account itself is a run of wrong second-factor codes, as set here. The admin sets
        // a password, which lifts it.
        await using (var scope = server.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
            var account = await users.FindByNameAsync(user);
            Assert.True((await users.SetLockoutEndDateAsync(account!, server.Clock.GetUtcNow().AddMinutes(15))).Succeeded);
        }

        Assert.Contains("id=\"locked-out\"", await admin.GetPageAsync(UserPath(user)), StringComparison.Ordinal);
        var page = await admin.GetPageAsync(UserPath(user) + "/password");
        using (var set = await admin.SubmitAsync(page, "id=\"set-password\"", ("NewPassword", "set by the admin"), ("ConfirmPassword", "set by the admin")))
        {
            Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        }

        await person.LoginAsync(user, "set by the admin");
    }

    [Fact]
    public async Task An_admin_creates_accounts_with_a_first_password_or_with_a_link_where_the_person_sets_it()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;

        var withPassword = ServerFixture.NewUser();
        var form = await admin.GetPageAsync("/admin/create-user");
        using (var created = await admin.SubmitAsync(form, "id=\"create-user\"", ("UserName", withPassword), ("Method", "password"), ("Password", "first password 1"), ("IsAdmin", "true")))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
            Assert.Equal(UserPath(withPassword), created.Headers.Location!.OriginalString);
        }

        Assert.True((await AccountAsync(server, withPassword)).IsAdmin);
        using (var browser = new Browser(server))
        {
            await browser.LoginAsync(withPassword, "first password 1");
        }

        var withLink = ServerFixture.NewUser();
        using var response = await admin.SubmitAsync(await admin.GetPageAsync("/admin/create-user"), "id=\"create-user\"", ("UserName", withLink), ("Method", "link"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var link = Html.Attribute(Html.Element(body, "id=\"set-password-link\"", ">")!, "value")!;
        var account = await AccountAsync(server, withLink);
        Assert.False(account.IsAdmin);
        Assert.Null(account.PasswordHash);

        using var person = new Browser(server);
        using (var done = await SetPasswordAsync(person, link, NewPassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        }

        await person.LoginAsync(withLink, NewPassword);

        using var taken = await admin.SubmitAsync(await admin.GetPageAsync("/admin/create-user"), "id=\"create-user\"", ("UserName", withLink), ("Method", "link"));
        Assert.Contains("That user name is taken.", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var invalid = await admin.SubmitAsync(await admin.GetPageAsync("/admin/create-user"), "id=\"create-user\"", ("UserName", "Not Valid"), ("Method", "link"));
        Assert.Contains("A user name is 1–64 lower-case letters", Html.Text(await invalid.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }
}

public sealed class PasswordResetTests_Sqlite(AdminSqliteFixture server) : PasswordResetTests(server), IClassFixture<AdminSqliteFixture>;

public sealed class PasswordResetTests_Postgres(AdminPostgresFixture server) : PasswordResetTests(server), IClassFixture<AdminPostgresFixture>;
