using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>Accounts:Signup = Open: anyone may create an account on /signup.</summary>
public abstract class OpenSignupTests(OpenSignupFixture server)
{
    [Fact]
    public async Task Anyone_can_sign_up_and_is_then_logged_in_to_their_account_page()
    {
        var user = ServerFixture.NewUser();
        using var browser = new Browser(server);
        var page = await browser.GetPageAsync("/signup");
        using var response = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", user), ("Password", Password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account", response.Headers.Location!.OriginalString);
        Assert.Contains($"{user}@", await browser.GetPageAsync("/account"), StringComparison.Ordinal);

        using var again = new Browser(server);
        await again.LoginAsync(user, Password);
        await using var scope = server.CreateScope();
        Assert.False((await ServerFixture.Db(scope).Users.SingleAsync(u => u.UserName == user)).IsAdmin);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("-dash-first")]
    [InlineData("with space")]
    [InlineData("a@b")]
    public async Task Sign_up_refuses_user_names_that_are_not_valid_storage_names(string name)
    {
        using var browser = new Browser(server);
        var page = await browser.GetPageAsync("/signup");
        using var response = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", name), ("Password", Password));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("A user name is 1–64 lower-case letters", System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_up_refuses_a_taken_user_name_and_a_short_password()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using var browser = new Browser(server);
        var page = await browser.GetPageAsync("/signup");
        using (var taken = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", user), ("Password", "another password")))
        {
            Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
            Assert.Contains("That user name cannot be used. Choose another one.", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var other = ServerFixture.NewUser();
        page = await browser.GetPageAsync("/signup");
        using (var weak = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", other), ("Password", "short")))
        {
            Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
            Assert.Contains("at least 10 characters", await weak.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await using var scope = server.CreateScope();
        Assert.False(await ServerFixture.Db(scope).Users.AnyAsync(u => u.UserName == other));
    }
}

public sealed class OpenSignupTests_Sqlite(OpenSignupSqliteFixture server) : OpenSignupTests(server), IClassFixture<OpenSignupSqliteFixture>;

public sealed class OpenSignupTests_Postgres(OpenSignupPostgresFixture server) : OpenSignupTests(server), IClassFixture<OpenSignupPostgresFixture>;

/// <summary>Accounts:Signup = Invite: /signup needs a valid, unused, unexpired invite link.</summary>
public abstract class InviteSignupTests(InviteSignupFixture server)
{
    [Fact]
    public async Task Sign_up_without_an_invite_or_with_a_made_up_one_is_refused()
    {
        using var browser = new Browser(server);
        using var none = await browser.GetAsync("/signup");
        using var madeUp = await browser.GetAsync("/signup?invite=not-a-real-invite");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, madeUp.StatusCode);
        Assert.Contains("id=\"invite-invalid\"", await madeUp.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admins_invite_link_from_the_account_page_creates_one_account_and_then_stops_working()
    {
        var (_, admin) = await LoggedInUserAsync(server, isAdmin: true);
        using var _ = admin;
        var page = await admin.GetPageAsync("/account");
        using var invited = await admin.SubmitAsync(page, "id=\"invite\"");
        Assert.Equal(HttpStatusCode.OK, invited.StatusCode);
        var link = Html.Attribute(Html.Element(await invited.Content.ReadAsStringAsync(), "id=\"invite-link\"", ">")!, "value")!;
        var uri = new Uri(link);
        Assert.Equal(server.BaseAddress.Authority, uri.Authority);
        Assert.Equal("/signup", uri.AbsolutePath);

        var user = ServerFixture.NewUser();
        using var newcomer = new Browser(server);
        var form = await newcomer.GetPageAsync(uri.PathAndQuery);
        using (var created = await newcomer.SubmitAsync(form, "id=\"signup\"", ("UserName", user), ("Password", Password)))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        await newcomer.GetPageAsync("/account");

        // The same link again: refused, also when posted directly.
        var second = ServerFixture.NewUser();
        using var latecomer = new Browser(server);
        using (var get = await latecomer.GetAsync(uri.PathAndQuery))
        {
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }

        var login = await latecomer.GetPageAsync("/login");
        var antiforgery = Html.HiddenInputs(Html.Form(login, "id=\"login\"")).Single(f => f.Name == "__RequestVerificationToken").Value;
        using (var post = await latecomer.PostAsync(uri.PathAndQuery, [new("UserName", second), new("Password", Password), new("__RequestVerificationToken", antiforgery)]))
        {
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        await using var scope = server.CreateScope();
        Assert.True(await ServerFixture.Db(scope).Users.AnyAsync(u => u.UserName == user));
        Assert.False(await ServerFixture.Db(scope).Users.AnyAsync(u => u.UserName == second));
        var invite = await ServerFixture.Db(scope).Invites.AsNoTracking().SingleAsync(i => i.UsedBy == user);
        Assert.NotNull(invite.UsedUtc);
    }

    [Fact]
    public async Task Only_admins_may_create_invites_on_the_account_page()
    {
        var (_, browser) = await LoggedInUserAsync(server, isAdmin: false);
        using var _ = browser;
        var page = await browser.GetPageAsync("/account");
        Assert.DoesNotContain("id=\"invite\"", page, StringComparison.Ordinal);
        var antiforgery = Html.HiddenInputs(Html.Form(page, "action=\"/logout\"")).Single(f => f.Name == "__RequestVerificationToken").Value;
        using var response = await browser.PostAsync("/account?handler=invite", [new("__RequestVerificationToken", antiforgery)]);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("invite-link", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_sign_up_leaves_the_invite_usable()
    {
        var token = await CreateInviteAsync();
        using var browser = new Browser(server);
        var form = await browser.GetPageAsync(Invites.LinkPath(token));
        using (var weak = await browser.SubmitAsync(form, "id=\"signup\"", ("UserName", "Bad Name"), ("Password", Password)))
        {
            Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        }

        form = await browser.GetPageAsync(Invites.LinkPath(token));
        using var created = await browser.SubmitAsync(form, "id=\"signup\"", ("UserName", ServerFixture.NewUser()), ("Password", Password));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
    }

    [Fact]
    public async Task An_expired_invite_is_refused()
    {
        var token = await CreateInviteAsync();
        await using (var scope = server.CreateScope())
        {
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
            await ServerFixture.Db(scope).Invites.Where(i => i.TokenHash == hash)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.ExpiresUtc, DateTime.UtcNow.AddMinutes(-1)));
        }

        using var browser = new Browser(server);
        using var response = await browser.GetAsync(Invites.LinkPath(token));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_invite_service_lets_each_token_be_consumed_once_and_stores_only_its_hash()
    {
        var token = await CreateInviteAsync();
        await using var scope = server.CreateScope();
        var invites = scope.ServiceProvider.GetRequiredService<Invites>();
        Assert.True(await invites.IsValidAsync(token));
        Assert.False(await ServerFixture.Db(scope).Invites.AnyAsync(i => i.TokenHash == token));

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            await using var s = server.CreateScope();
            return await s.ServiceProvider.GetRequiredService<Invites>().ConsumeAsync(token, "racer" + i);
        }));
        Assert.Single(results, r => r);
        Assert.False(await invites.IsValidAsync(token));
        Assert.False(await invites.ConsumeAsync(token, "late"));
    }

    private async Task<string> CreateInviteAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<Invites>().CreateAsync("cli-admin");
    }
}

public sealed class InviteSignupTests_Sqlite(InviteSignupSqliteFixture server) : InviteSignupTests(server), IClassFixture<InviteSignupSqliteFixture>;

public sealed class InviteSignupTests_Postgres(InviteSignupPostgresFixture server) : InviteSignupTests(server), IClassFixture<InviteSignupPostgresFixture>;
