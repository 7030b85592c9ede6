using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// ASVS V2.1.1, V2.1.9: a password has at least 10 characters, with no composition rules, on
/// sign-up, password change and the command line's <c>users set-password</c> and <c>users add</c>
/// (there is no self-service reset: an admin sets a new password with the command line).
/// </summary>
public abstract class PasswordLengthTests(OpenSignupFixture server)
{
    private const string Nine = "abcdefghi";
    private const string Ten = "abcdefghij";
    private const string TooShort = "Choose a longer password: it needs at least 10 characters.";

    private Browser From() => new(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() };

    private async Task<bool> PasswordIsAsync(string user, string password)
    {
        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        return await users.CheckPasswordAsync((await users.FindByNameAsync(user))!, password);
    }

    [Fact]
    public async Task Sign_up_refuses_nine_characters_with_a_plain_message_and_takes_ten_of_any_kind()
    {
        using var browser = From();
        var user = ServerFixture.NewUser();
        var page = await browser.GetPageAsync("/signup");
        using (var refused = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", user), ("Password", Nine)))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.StartsWith(TooShort, EnumerationTests.ErrorText(await refused.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        await using (var scope = server.CreateScope())
        {
            Assert.False(await ServerFixture.Db(scope).Users.AnyAsync(u => u.UserName == user));
        }

        // Lower-case letters only: no composition rules.
        page = await browser.GetPageAsync("/signup");
        using (var created = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", user), ("Password", Ten)))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        Assert.True(await PasswordIsAsync(user, Ten));
    }

    [Fact]
    public async Task Changing_the_password_refuses_nine_characters_and_takes_ten()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, SecurityPages.Password);
        using var browser = From();
        await browser.LoginAsync(user, SecurityPages.Password);

        var form = await browser.GetPageAsync("/account/password");
        using (var refused = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", SecurityPages.Password), ("NewPassword", Nine), ("ConfirmPassword", Nine)))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.StartsWith(TooShort, EnumerationTests.ErrorText(await refused.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        Assert.True(await PasswordIsAsync(user, SecurityPages.Password));
        form = await browser.GetPageAsync("/account/password");
        using (var changed = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", SecurityPages.Password), ("NewPassword", Ten), ("ConfirmPassword", Ten)))
        {
            Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        }

        Assert.True(await PasswordIsAsync(user, Ten));
    }

    [Fact]
    public async Task The_command_line_refuses_nine_characters_for_set_password_and_add_and_takes_ten()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, SecurityPages.Password);

        var refused = await CliRunner.RunAsync(server, Nine + "\n", "users", "set-password", user, "--password-stdin");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(TooShort, refused.Stderr, StringComparison.Ordinal);
        Assert.True(await PasswordIsAsync(user, SecurityPages.Password));

        var set = await CliRunner.RunAsync(server, Ten + "\n", "users", "set-password", user, "--password-stdin");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.True(await PasswordIsAsync(user, Ten));

        var other = ServerFixture.NewUser();
        var add = await CliRunner.RunAsync(server, Nine + "\n", "users", "add", other, "--password-stdin");
        Assert.NotEqual(0, add.ExitCode);
        Assert.Contains(TooShort, add.Stderr, StringComparison.Ordinal);
        await using var scope = server.CreateScope();
        Assert.False(await ServerFixture.Db(scope).Users.AnyAsync(u => u.UserName == other));
    }
}

public sealed class PasswordLengthTests_Sqlite(OpenSignupSqliteFixture server) : PasswordLengthTests(server), IClassFixture<OpenSignupSqliteFixture>;

public sealed class PasswordLengthTests_Postgres(OpenSignupPostgresFixture server) : PasswordLengthTests(server), IClassFixture<OpenSignupPostgresFixture>;
