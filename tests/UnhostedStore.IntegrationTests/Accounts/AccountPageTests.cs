using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>The account page (/account): address, connected apps and revocation, "last used", usage.</summary>
public abstract class AccountPageTests(ServerFixture server)
{
    [Fact]
    public async Task The_account_page_sends_visitors_who_are_not_logged_in_to_the_login_page()
    {
        using var browser = new Browser(server);
        using var response = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login?ReturnUrl=%2Faccount", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_account_page_shows_the_storage_address_and_each_connected_app_with_its_scopes_in_plain_words()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        server.Tokens.Issue(user, "notes:rw", "contacts:r");
        var forever = await Browser.IssueAsync(server, user, "https://forever.example", 0, "*:r");

        var page = await browser.GetPageAsync("/account");

        Assert.Contains($"{user}@{server.BaseAddress.Authority}", page, StringComparison.Ordinal);
        var tests = Html.Element(page, "data-origin=\"https://tests.example\"", "</tr>");
        Assert.NotNull(tests);
        Assert.Contains("read and write your notes", tests, StringComparison.Ordinal);
        Assert.Contains("read your contacts", tests, StringComparison.Ordinal);
        Assert.Contains("Revoke access for https://tests.example", tests, StringComparison.Ordinal);

        // server.Tokens grants for one day: granted today, expires tomorrow, never used yet.
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"datetime=\"{today}", tests, StringComparison.Ordinal);
        Assert.Contains(tomorrow, Html.Element(tests, "class=\"expires\"", "</td>"), StringComparison.Ordinal);
        Assert.Contains("never", Html.Element(tests, "class=\"last-used\"", "</td>"), StringComparison.Ordinal);

        var row = AppRow(page, forever.AuthorizationId);
        Assert.NotNull(row);
        Assert.Contains("read everything in your storage", row, StringComparison.Ordinal);
        Assert.Contains("until revoked", Html.Element(row, "class=\"expires\"", "</td>"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_one_app_refuses_its_token_at_the_very_next_request_and_leaves_the_other_app_working()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var first = await Browser.IssueAsync(server, user, "https://first.example", 30, "notes:rw");
        var second = await Browser.IssueAsync(server, user, "https://second.example", 30, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, first.AccessToken, "/notes/a", 10));

        var page = await browser.GetPageAsync("/account");
        using var revoke = await browser.SubmitAsync(page, $"value=\"{first.AuthorizationId}\"");
        Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, first.AccessToken, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, user, second.AccessToken, "/notes/a"));

        page = await browser.GetPageAsync("/account");
        Assert.Null(AppRow(page, first.AuthorizationId));
        Assert.NotNull(AppRow(page, second.AuthorizationId));
        Assert.Contains("Access revoked", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_all_refuses_every_apps_token_and_empties_the_list()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var first = await Browser.IssueAsync(server, user, "https://first.example", 30, "notes:rw");
        var second = await Browser.IssueAsync(server, user, "https://second.example", 0, "*:r");
        var third = server.Tokens.Issue(user, "notes:r");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, first.AccessToken, "/notes/a", 10));

        var page = await browser.GetPageAsync("/account");
        using var revoke = await browser.SubmitAsync(page, "id=\"revoke-all\"");
        Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, first.AccessToken, "/notes/a"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, second.AccessToken, "/notes/a"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, third, "/notes/a"));
        page = await browser.GetPageAsync("/account");
        Assert.Contains("id=\"no-apps\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_cannot_revoke_another_users_grant_by_posting_its_id()
    {
        var victim = ServerFixture.NewUser();
        var victimToken = await Browser.IssueAsync(server, victim, "https://app.example", 30, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, victim, victimToken.AccessToken, "/notes/a", 1));
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;

        var page = await browser.GetPageAsync("/account");

        // Forge a revoke form with the victim's grant id (and this user's valid antiforgery token).
        var antiforgery = Html.HiddenInputs(Html.Form(page, "action=\"/logout\"")).Single(f => f.Name == "__RequestVerificationToken").Value;
        using var response = await browser.PostAsync("/account?handler=revoke", [new("id", victimToken.AuthorizationId), new("__RequestVerificationToken", antiforgery)]);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, victim, victimToken.AccessToken, "/notes/a"));
    }

    [Fact]
    public async Task Revoking_without_the_antiforgery_token_is_refused_and_revokes_nothing()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var app = await Browser.IssueAsync(server, user, "https://app.example", 30, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, app.AccessToken, "/notes/a", 1));

        using var one = await browser.PostAsync("/account?handler=revoke", [new("id", app.AuthorizationId)]);
        using var all = await browser.PostAsync("/account?handler=revokeAll", []);

        Assert.Equal(HttpStatusCode.BadRequest, one.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, all.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, user, app.AccessToken, "/notes/a"));
    }

    [Fact]
    public async Task Last_used_shows_when_an_apps_token_was_used_before_and_after_it_is_stored()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var used = await Browser.IssueAsync(server, user, "https://used.example", 30, "notes:rw");
        var unused = await Browser.IssueAsync(server, user, "https://unused.example", 30, "notes:rw");
        var before = DateTime.UtcNow.AddSeconds(-1);
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, used.AccessToken, "/notes/a", 1));

        // Still only in memory (or already flushed by the background service): shown either way.
        var page = await browser.GetPageAsync("/account");
        var lastUsed = Html.Element(AppRow(page, used.AuthorizationId)!, "class=\"last-used\"", "</td>")!;
        Assert.Contains("<time", lastUsed, StringComparison.Ordinal);
        Assert.Contains(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), lastUsed, StringComparison.Ordinal);
        Assert.Contains("never", Html.Element(AppRow(page, unused.AuthorizationId)!, "class=\"last-used\"", "</td>"), StringComparison.Ordinal);

        // Flushed to the database, as at shutdown.
        var tracker = server.Services.GetRequiredService<GrantUsageTracker>();
        await tracker.FlushAsync(server.Services, force: true, CancellationToken.None);
        Assert.Null(tracker.Pending(used.AuthorizationId));
        await using (var scope = server.CreateScope())
        {
            var row = await ServerFixture.Db(scope).GrantUsage.AsNoTracking().SingleAsync(u => u.AuthorizationId == used.AuthorizationId);
            Assert.InRange(DateTime.SpecifyKind(row.LastUsedUtc, DateTimeKind.Utc), before, DateTime.UtcNow.AddSeconds(1));
            Assert.False(await ServerFixture.Db(scope).GrantUsage.AnyAsync(u => u.AuthorizationId == unused.AuthorizationId));
        }

        page = await browser.GetPageAsync("/account");
        Assert.Contains("<time", Html.Element(AppRow(page, used.AuthorizationId)!, "class=\"last-used\"", "</td>"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_token_does_not_count_as_a_use()
    {
        var user = ServerFixture.NewUser();
        var app = await Browser.IssueAsync(server, user, "https://app.example", 30, "notes:rw");
        await using (var scope = server.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<Grants>().RevokeByIdAsync(user, app.AuthorizationId, CancellationToken.None);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, app.AccessToken, "/notes/a"));
        Assert.Null(server.Services.GetRequiredService<GrantUsageTracker>().Pending(app.AuthorizationId));
    }

    [Fact]
    public async Task The_account_page_shows_bytes_and_documents_in_total_and_per_module()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = server.Tokens.Issue(user, "*:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/a", 100));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/deep/b", 50));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/public/notes/c", 7));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/photos/p", 2000));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/toplevel", 3));

        var page = await browser.GetPageAsync("/account");

        var total = Html.Element(page, "id=\"usage-total\"", "</p>")!;
        Assert.Equal("2160", Html.Attribute(total, "data-bytes"));
        Assert.Equal("5", Html.Attribute(total, "data-docs"));
        Assert.Contains("2.1 KB", total, StringComparison.Ordinal);
        Assert.Contains("5 documents", total, StringComparison.Ordinal);
        AssertModule(page, "notes", 157, 3);
        AssertModule(page, "photos", 2000, 1);
        AssertModule(page, string.Empty, 3, 1);
        Assert.Contains("(top level)", Html.Element(page, "data-module=\"\"", "</tr>"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/photos/p"));
        page = await browser.GetPageAsync("/account");
        Assert.Null(Html.Element(page, "data-module=\"photos\"", "</tr>"));
        Assert.Equal("160", Html.Attribute(Html.Element(page, "id=\"usage-total\"", "</p>")!, "data-bytes"));
    }

    [Fact]
    public async Task The_account_page_shows_the_users_own_quota_and_the_default_once_it_is_reset()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = server.Tokens.Issue(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/a", 1000));

        await SetQuotaAsync(user, 3 * 1024 * 1024);
        var total = Html.Element(await browser.GetPageAsync("/account"), "id=\"usage-total\"", "</p>")!;
        Assert.Equal("3145728", Html.Attribute(total, "data-quota"));
        Assert.Contains("of 3.0 MB allowed", total, StringComparison.Ordinal);

        // 0 is "no limit"; null follows Storage:DefaultQuotaBytes, which these servers leave at 0.
        await SetQuotaAsync(user, 0);
        total = Html.Element(await browser.GetPageAsync("/account"), "id=\"usage-total\"", "</p>")!;
        Assert.Equal("0", Html.Attribute(total, "data-quota"));
        Assert.DoesNotContain("allowed", total, StringComparison.Ordinal);

        await SetQuotaAsync(user, null);
        var defaultQuota = server.Services.GetRequiredService<UnhostedStore.Accounts.Quotas>().DefaultBytes;
        total = Html.Element(await browser.GetPageAsync("/account"), "id=\"usage-total\"", "</p>")!;
        Assert.Equal(defaultQuota.ToString(System.Globalization.CultureInfo.InvariantCulture), Html.Attribute(total, "data-quota"));
    }

    private async Task SetQuotaAsync(string user, long? bytes)
    {
        using var scope = server.Services.CreateScope();
        await UnhostedStore.Accounts.UserLock.SetQuotaAsync(scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>(), user, bytes, CancellationToken.None);
    }

    private static void AssertModule(string page, string module, long bytes, long docs)
    {
        var row = Html.Element(page, $"data-module=\"{module}\"", "</tr>");
        Assert.True(row is not null, $"no row for module '{module}'");
        Assert.Equal(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), Html.Attribute(row, "data-bytes"));
        Assert.Equal(docs.ToString(System.Globalization.CultureInfo.InvariantCulture), Html.Attribute(row, "data-docs"));
    }

    [Fact]
    public async Task Changing_the_password_makes_the_old_one_stop_working_and_the_new_one_work()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        const string newPassword = "a brand new passphrase";

        var form = await browser.GetPageAsync("/account/password");
        using (var wrong = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", "not the password"), ("NewPassword", newPassword), ("ConfirmPassword", newPassword)))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("The current password is not right.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        form = await browser.GetPageAsync("/account/password");
        using (var tooShort = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", Password), ("NewPassword", "short"), ("ConfirmPassword", "short")))
        {
            Assert.Equal(HttpStatusCode.OK, tooShort.StatusCode);
            Assert.Contains("at least 10 characters", await tooShort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        form = await browser.GetPageAsync("/account/password");
        using (var changed = await browser.SubmitAsync(form, "id=\"password\"", ("CurrentPassword", Password), ("NewPassword", newPassword), ("ConfirmPassword", newPassword)))
        {
            Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        }

        // Still logged in here; elsewhere only the new password works.
        Assert.Contains("Your password was changed.", await browser.GetPageAsync("/account"), StringComparison.Ordinal);
        using var other = new Browser(server);
        using (var old = await other.TryLoginAsync(user, Password))
        {
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);
            Assert.Contains("The user name or password is not right.", await old.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await other.LoginAsync(user, newPassword);
    }

    [Fact]
    public async Task After_the_configured_number_of_bad_passwords_even_the_right_password_is_refused_with_the_lockout_message()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using var browser = new Browser(server);
        var attempts = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UnhostedStore.Accounts.AccountOptions>>().Value.LockoutAttempts;
        for (var i = 0; i < attempts; i++)
        {
            using var bad = await browser.TryLoginAsync(user, "wrong password " + i);
            Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        }

        // Refused from this network (the lockout is per client IP and name; see LoginThrottleTests).
        using var right = await browser.TryLoginAsync(user, Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Contains("Too many failed attempts", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var account = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
    }

    [Fact]
    public async Task Fewer_bad_passwords_than_the_limit_do_not_lock_the_account()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        using var browser = new Browser(server);
        var attempts = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UnhostedStore.Accounts.AccountOptions>>().Value.LockoutAttempts;
        for (var i = 0; i < attempts - 1; i++)
        {
            using var bad = await browser.TryLoginAsync(user, "wrong password " + i);
            Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        }

        await browser.LoginAsync(user, Password);
    }

    [Fact]
    public async Task Sign_up_is_404_while_signup_is_closed_which_is_the_default()
    {
        using var browser = new Browser(server);
        using var get = await browser.GetAsync("/signup");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        // A POST with a valid antiforgery token (from the login form) gets no further.
        var login = await browser.GetPageAsync("/login");
        var antiforgery = Html.HiddenInputs(Html.Form(login, "id=\"login\"")).Single(f => f.Name == "__RequestVerificationToken").Value;
        var user = ServerFixture.NewUser();
        using var post = await browser.PostAsync("/signup", [new("UserName", user), new("Password", Password), new("__RequestVerificationToken", antiforgery)]);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        await using var scope = server.CreateScope();
        Assert.False(await ServerFixture.Db(scope).Users.AnyAsync(u => u.UserName == user));
    }

    [Fact]
    public async Task Admins_see_no_invite_button_while_signup_is_closed()
    {
        var (_, browser) = await LoggedInUserAsync(server, isAdmin: true);
        using var _ = browser;
        var page = await browser.GetPageAsync("/account");
        Assert.Contains("id=\"invite-heading\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"invite\"", page, StringComparison.Ordinal);
    }
}

public sealed class AccountPageTests_Sqlite(SqliteServerFixture server) : AccountPageTests(server), IClassFixture<SqliteServerFixture>;

public sealed class AccountPageTests_Postgres(PostgresServerFixture server) : AccountPageTests(server), IClassFixture<PostgresServerFixture>;
