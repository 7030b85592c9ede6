using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// The server settings an admin changes at run time: who may sign up, kept in the database (the
/// sign-up page, the account page and the CLI follow it at once), invites (made, listed, used,
/// withdrawn), and the required second factor.
/// </summary>
public abstract class AdminSettingsTests(SecurityServerFixture server)
{
    private static async Task SetSignupAsync(Browser admin, string policy)
    {
        var page = await admin.GetPageAsync("/admin/settings");
        using var response = await admin.SubmitAsync(page, "id=\"signup-form\"", ("policyName", policy));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private async Task<SignupPolicy> EffectivePolicyAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<SignupSettings>().GetAsync(CancellationToken.None);
    }

    private async Task<HttpResponseMessage> SignUpAsync(string pathAndQuery, string user)
    {
        using var browser = new Browser(server);
        using var get = await browser.GetAsync(pathAndQuery);
        if (get.StatusCode != HttpStatusCode.OK)
        {
            return new HttpResponseMessage(get.StatusCode);
        }

        return await browser.SubmitAsync(await get.Content.ReadAsStringAsync(), "id=\"signup\"", ("UserName", user), ("Password", Password));
    }

    [Fact]
    public async Task The_sign_up_policy_is_kept_in_the_database_and_the_sign_up_page_follows_each_change_at_once()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;

        await SetSignupAsync(admin, "open");
        Assert.Equal("Open", await SettingAsync(server, SignupSettings.Setting));
        Assert.Equal(SignupPolicy.Open, await EffectivePolicyAsync());
        Assert.Contains("data-policy=\"Open\"", await admin.GetPageAsync("/admin"), StringComparison.Ordinal);
        var opened = ServerFixture.NewUser();
        using (var created = await SignUpAsync("/signup", opened))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        await SetSignupAsync(admin, "closed");
        Assert.Equal("Closed", await SettingAsync(server, SignupSettings.Setting));
        using (var closed = await SignUpAsync("/signup", ServerFixture.NewUser()))
        {
            Assert.Equal(HttpStatusCode.NotFound, closed.StatusCode);
        }

        await SetSignupAsync(admin, "invite");
        using (var noInvite = await SignUpAsync("/signup", ServerFixture.NewUser()))
        {
            Assert.Equal(HttpStatusCode.NotFound, noInvite.StatusCode);
        }

        Assert.Equal(SignupPolicy.Invite, await EffectivePolicyAsync());
        Assert.Contains("id=\"invite\"", await admin.GetPageAsync("/account"), StringComparison.Ordinal);
        await using var scope = server.CreateScope();
        Assert.NotNull(await scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<UnhostedStore.Persistence.UserAccount>>().FindByNameAsync(opened));
    }

    [Fact]
    public async Task Invites_are_made_listed_used_once_and_withdrawn_and_only_while_sign_up_is_by_invitation()
    {
        var (admin, browser) = await LoggedInAdminAsync(server);
        using var _ = browser;
        await SetSignupAsync(browser, "closed");
        var page = await browser.GetPageAsync("/admin/invites");
        Assert.Contains("id=\"not-inviting\"", page, StringComparison.Ordinal);
        using (var refused = await browser.SubmitAsync(page, "id=\"create-invite\""))
        {
            Assert.DoesNotContain("id=\"invite-link\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await SetSignupAsync(browser, "invite");
        var links = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var made = await browser.SubmitAsync(await browser.GetPageAsync("/admin/invites"), "id=\"create-invite\"");
            Assert.True(made.Headers.CacheControl?.NoStore);
            links.Add(new Uri(Html.Attribute(Html.Element(await made.Content.ReadAsStringAsync(), "id=\"invite-link\"", ">")!, "value")!).PathAndQuery);
        }

        var invited = ServerFixture.NewUser();
        using (var created = await SignUpAsync(links[0], invited))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        page = await browser.GetPageAsync("/admin/invites");
        var used = Html.Element(page, "id=\"used-invites\"", "</table>")!;
        Assert.Contains(invited, used, StringComparison.Ordinal);
        Assert.Contains(admin, used, StringComparison.Ordinal);
        var open = Html.Element(page, "id=\"open-invites\"", "</table>")!;
        Assert.Contains(admin, open, StringComparison.Ordinal);

        // Withdraw the second: its link stops working at once.
        var token = Uri.UnescapeDataString(links[1][(links[1].IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
        using (var withdrawn = await browser.SubmitAsync(page, $"value=\"{id}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, withdrawn.StatusCode);
        }

        using (var dead = await SignUpAsync(links[1], ServerFixture.NewUser()))
        {
            Assert.Equal(HttpStatusCode.NotFound, dead.StatusCode);
        }

        using (var again = await SignUpAsync(links[0], ServerFixture.NewUser()))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
    }

    [Fact]
    public async Task The_cli_sets_the_sign_up_policy_in_the_database_and_its_invite_command_follows_it()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        await SetSignupAsync(admin, "closed");
        var refused = await CliRunner.RunAsync(server, null, "users", "invite");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("only with Accounts:Signup=Invite (it is Closed", refused.Stderr, StringComparison.Ordinal);

        var set = await CliRunner.RunAsync(server, null, "settings", "signup", "invite");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("Sign-up is now by invitation", set.Stdout, StringComparison.Ordinal);
        Assert.Equal("Invite", await SettingAsync(server, SignupSettings.Setting));
        Assert.Contains("data-policy=\"Invite\"", await admin.GetPageAsync("/admin"), StringComparison.Ordinal);

        var invite = await CliRunner.RunAsync(server, null, "users", "invite");
        Assert.True(invite.ExitCode == 0, invite.ToString());
        var link = invite.Stdout.Trim();
        Assert.StartsWith("/signup?invite=", link, StringComparison.Ordinal);
        using (var created = await SignUpAsync(link, ServerFixture.NewUser()))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        var closed = await CliRunner.RunAsync(server, null, "settings", "signup", "closed");
        Assert.True(closed.ExitCode == 0, closed.ToString());
        Assert.Equal(SignupPolicy.Closed, await EffectivePolicyAsync());
    }

    [Fact]
    public async Task The_two_step_switch_is_kept_in_the_database_and_holds_at_the_next_login()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        try
        {
            var page = await admin.GetPageAsync("/admin/settings");
            using (var on = await admin.SubmitAsync(page, "id=\"two-factor-form\"", ("required", "on")))
            {
                Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
            }

            Assert.Equal("true", await SettingAsync(server, LoginPolicy.RequireTwoFactorSetting));
            Assert.Contains("data-required=\"true\"", await admin.GetPageAsync("/admin"), StringComparison.Ordinal);
            using var browser = new Browser(server);
            using (var login = await browser.TryLoginAsync(user, Password))
            {
                Assert.StartsWith("/account/security", login.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }
        }
        finally
        {
            var page = await admin.GetPageAsync("/admin/settings");
            using var off = await admin.SubmitAsync(page, "id=\"two-factor-form\"", ("required", "off"));
            Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
        }

        Assert.Equal("false", await SettingAsync(server, LoginPolicy.RequireTwoFactorSetting));
    }
}

public sealed class AdminSettingsTests_Sqlite(AdminSqliteFixture server) : AdminSettingsTests(server), IClassFixture<AdminSqliteFixture>;

public sealed class AdminSettingsTests_Postgres(AdminPostgresFixture server) : AdminSettingsTests(server), IClassFixture<AdminPostgresFixture>;
