using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts.Security;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Security.SecurityPages;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// The admin's "every account needs a second factor" (<see cref="LoginPolicy"/>): stored in the
/// database (the CLI and every instance agree), and a password login without a second factor
/// leads to setting one up before anything else, the consent page of an app included.
/// </summary>
public abstract class LoginPolicyTests(SecurityServerFixture server)
{
    private async Task SetRequiredAsync(bool required)
    {
        await using var scope = server.CreateScope();
        await scope.ServiceProvider.GetRequiredService<LoginPolicy>().SetRequireTwoFactorAsync(required, CancellationToken.None);
    }

    private async Task<bool> RequiredAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<LoginPolicy>().RequireTwoFactorAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_cli_turns_the_requirement_on_and_off_in_the_database()
    {
        Assert.False(await RequiredAsync());
        try
        {
            var on = await CliRunner.RunAsync(server, null, "settings", "require-2fa", "on");
            Assert.True(on.ExitCode == 0, on.ToString());
            Assert.Contains("now required", on.Stdout, StringComparison.Ordinal);
            Assert.True(await RequiredAsync());

            var off = await CliRunner.RunAsync(server, null, "settings", "require-2fa", "off");
            Assert.True(off.ExitCode == 0, off.ToString());
            Assert.False(await RequiredAsync());
        }
        finally
        {
            await SetRequiredAsync(false);
        }
    }

    [Fact]
    public async Task When_required_a_password_login_without_a_second_factor_sets_one_up_before_anything_else()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        await SetRequiredAsync(true);
        try
        {
            using var browser = new Browser(server);
            var query = OAuthQuery.Implicit("http://127.0.0.1:9/app/", "notes:rw", "s2");
            var consentUrl = OAuthQuery.AuthorizePath + "?" + query;
            var login = await browser.GetPageAsync("/login?ReturnUrl=" + Uri.EscapeDataString(consentUrl));
            using (var loggedIn = await browser.SubmitAsync(login, "id=\"login\"", ("UserName", user), ("Password", Password)))
            {
                Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
                Assert.Equal("/account/security?ReturnUrl=" + Uri.EscapeDataString(consentUrl), loggedIn.Headers.Location!.OriginalString);
            }

            // Every other page, the app's consent too, leads back there.
            foreach (var path in new[] { "/account", "/account/export", consentUrl })
            {
                using var gated = await browser.GetAsync(path);
                Assert.Equal(HttpStatusCode.Redirect, gated.StatusCode);
                Assert.StartsWith("/account/security?ReturnUrl=", gated.Headers.Location!.OriginalString, StringComparison.Ordinal);
            }

            var security = await browser.GetPageAsync("/account/security?ReturnUrl=" + Uri.EscapeDataString(consentUrl));
            Assert.Contains("id=\"must-enrol\"", security, StringComparison.Ordinal);

            await EnableAuthenticatorAsync(browser, server.Clock);
            Assert.True(await IsLoggedInAsync(browser));
            Assert.Contains("id=\"allow\"", await browser.GetPageAsync(consentUrl), StringComparison.Ordinal);

            // With a second factor, it stays on while required.
            security = await browser.GetPageAsync("/account/security");
            using var disable = await browser.SubmitAsync(security, "id=\"disable-2fa\"");
            Assert.Contains("This server requires two-step verification", await disable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.True((await AccountAsync(server, user)).TwoFactorEnabled);
        }
        finally
        {
            await SetRequiredAsync(false);
        }
    }

    [Fact]
    public async Task When_not_required_a_password_login_goes_straight_on()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using var browser = new Browser(server);
        using var loggedIn = await browser.TryLoginAsync(user, Password);
        Assert.Equal("/account", loggedIn.Headers.Location!.OriginalString);
        Assert.True(await IsLoggedInAsync(browser));
        Assert.DoesNotContain("id=\"must-enrol\"", await browser.GetPageAsync("/account/security"), StringComparison.Ordinal);
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class LoginPolicyTests_Sqlite(SecuritySqliteFixture server) : LoginPolicyTests(server), IClassFixture<SecuritySqliteFixture>;

public sealed class LoginPolicyTests_PostgresS3(SecurityPostgresS3Fixture server) : LoginPolicyTests(server), IClassFixture<SecurityPostgresS3Fixture>;

/// <summary><c>Accounts:RequireTwoFactor=true</c> in configuration: required until an admin
/// changes it.</summary>
public sealed class RequiredByConfigurationFixture() : SecurityServerFixture(Backend.SqliteFileSystem)
{
    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        base.ConfigureSettings(builder);
        builder.UseSetting("Accounts:RequireTwoFactor", "true");
    }
}

public sealed class LoginPolicyConfigurationTests(RequiredByConfigurationFixture server) : IClassFixture<RequiredByConfigurationFixture>
{
    [Fact]
    public async Task The_configured_value_holds_until_the_setting_is_stored()
    {
        await using (var scope = server.CreateScope())
        {
            Assert.True(await scope.ServiceProvider.GetRequiredService<LoginPolicy>().RequireTwoFactorAsync(CancellationToken.None));
        }

        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using (var browser = new Browser(server))
        {
            using var loggedIn = await browser.TryLoginAsync(user, Password);
            Assert.StartsWith("/account/security", loggedIn.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var off = await CliRunner.RunAsync(server, null, "settings", "require-2fa", "off");
        Assert.True(off.ExitCode == 0, off.ToString());
        using (var browser = new Browser(server))
        {
            using var loggedIn = await browser.TryLoginAsync(user, Password);
            Assert.Equal("/account", loggedIn.Headers.Location!.OriginalString);
        }
    }
}
