using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Activity;

/// <summary>
/// Who reads the audit log (ASVS V7.3.3): a person their own account's events on
/// /account/activity, administrators everyone's on /admin/audit (403 for others, the login page
/// without a session), filtered and a page at a time; and the retention job that deletes events
/// past <c>Accounts:AuditRetentionDays</c> in batches.
/// </summary>
public abstract class AuditPagesTests(ActivityServerFixture server)
{
    [Fact]
    public async Task A_person_sees_only_their_own_events_on_the_activity_page()
    {
        var (alice, aliceBrowser) = await LoggedInUserAsync(server);
        var (bob, bobBrowser) = await LoggedInUserAsync(server);
        using var _ = aliceBrowser;
        using var __ = bobBrowser;
        using var elsewhere = new Browser(server) { ClientIp = "203.0.113.9", UserAgent = Audit.Firefox };
        using (var wrong = await elsewhere.TryLoginAsync(alice, "wrong password here"))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        var mine = (await Audit.EventsAsync(server, alice)).Select(e => e.Id).ToList();
        var theirs = (await Audit.EventsAsync(server, bob)).Select(e => e.Id).ToList();
        Assert.Equal(2, mine.Count);
        Assert.NotEmpty(theirs);

        var account = await aliceBrowser.GetPageAsync("/account");
        Assert.Contains("href=\"/account/activity\"", account, StringComparison.Ordinal);
        var page = await aliceBrowser.GetPageAsync("/account/activity");
        Assert.Equal(mine.OrderDescending(), Audit.ShownIds(page));
        Assert.Contains("Failed sign-in", page, StringComparison.Ordinal);
        Assert.Contains("Wrong password.", page, StringComparison.Ordinal);
        Assert.Contains("Someone not signed in", page, StringComparison.Ordinal);
        Assert.Contains("203.0.113.9", page, StringComparison.Ordinal);
        Assert.Contains("Firefox on Linux", page, StringComparison.Ordinal);
        Assert.Contains("<span class=\"summary\">Signed in</span>", page, StringComparison.Ordinal);
        Assert.Contains(">You<", page, StringComparison.Ordinal);
        Assert.Contains("just now", page, StringComparison.Ordinal);
        Assert.Contains(" UTC</span>", page, StringComparison.Ordinal);

        // Another account's name in the query changes nothing: only one's own events.
        var widened = await aliceBrowser.GetPageAsync("/account/activity?user=" + bob);
        Assert.Equal(mine.OrderDescending(), Audit.ShownIds(widened));
        Assert.DoesNotContain(bob, widened, StringComparison.Ordinal);
        Assert.Empty(Audit.ShownIds(await bobBrowser.GetPageAsync("/account/activity")).Intersect(mine));

        var failedOnly = await aliceBrowser.GetPageAsync("/account/activity?kind=login.failed");
        Assert.Equal(["login.failed"], Audit.ShownKinds(failedOnly));
    }

    [Fact]
    public async Task The_admin_page_sends_to_the_login_without_a_session_and_answers_403_to_others()
    {
        using var stranger = new Browser(server);
        using (var response = await stranger.GetAsync("/admin/audit"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }

        var (user, browser) = await LoggedInUserAsync(server);
        using (browser)
        using (var response = await browser.GetAsync("/admin/audit"))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("Only for administrators", body, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"audit-events\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain(user + "</td>", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_admin_page_filters_by_account_kind_and_day_and_pages_through_older_events()
    {
        var (admin, browser) = await LoggedInUserAsync(server, isAdmin: true);
        using var _ = browser;
        var (alice, aliceBrowser) = await LoggedInUserAsync(server);
        aliceBrowser.Dispose();
        using var elsewhere = new Browser(server);
        using (var wrong = await elsewhere.TryLoginAsync(alice, "wrong password here"))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        var all = await browser.GetPageAsync("/admin/audit");
        Assert.Contains("id=\"filter-user\"", all, StringComparison.Ordinal);
        Assert.Contains(alice, all, StringComparison.Ordinal);
        Assert.Contains(admin, all, StringComparison.Ordinal);

        var aliceEvents = await Audit.EventsAsync(server, alice);
        var onlyAlice = await browser.GetPageAsync("/admin/audit?user=" + alice);
        Assert.Equal(aliceEvents.Select(e => e.Id).OrderDescending(), Audit.ShownIds(onlyAlice));

        var failed = await browser.GetPageAsync($"/admin/audit?user={alice}&kind=login.failed");
        Assert.Equal([aliceEvents.Single(e => e.Kind == AuditKind.LoginFailed).Id], Audit.ShownIds(failed));
        var logins = await browser.GetPageAsync($"/admin/audit?user={alice}&kind=login");
        Assert.Equal(2, Audit.ShownIds(logins).Count);
        var noApps = await browser.GetPageAsync($"/admin/audit?user={alice}&kind=apps");
        Assert.Contains("id=\"no-events\"", noApps, StringComparison.Ordinal);

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(2, Audit.ShownIds(await browser.GetPageAsync($"/admin/audit?user={alice}&from={today}&to={today}")).Count);
        Assert.Empty(Audit.ShownIds(await browser.GetPageAsync($"/admin/audit?user={alice}&to={yesterday}")));
        var bad = await browser.GetPageAsync($"/admin/audit?from=05/12/2026");
        Assert.Contains("Write dates as year-month-day", bad, StringComparison.Ordinal);

        // 60 more events of one account: two pages of 50, newest first, filters kept.
        var crowd = ServerFixture.NewUser();
        var start = DateTime.UtcNow.AddHours(-2);
        await Audit.AddAsync(server, Enumerable.Range(0, 60).Select(i => new AuditEvent
        {
            TimeUtc = start.AddMinutes(i),
            Kind = AuditKind.ShareCreated,
            UserName = crowd,
            Actor = crowd,
            Detail = $"Link number {i}.",
        }));
        var first = await browser.GetPageAsync($"/admin/audit?user={crowd}&kind=sharing");
        Assert.Equal(50, Audit.ShownIds(first).Count);
        Assert.Contains("Link number 59.", first, StringComparison.Ordinal);
        Assert.DoesNotContain("Link number 9.", first, StringComparison.Ordinal);
        var older = Html.Attribute(Html.Element(first, "id=\"older\"", "</a>")!, "href")!;
        Assert.Equal($"/admin/audit?user={crowd}&kind=sharing&page=2", older);
        var second = await browser.GetPageAsync(older);
        Assert.Equal(10, Audit.ShownIds(second).Count);
        Assert.Contains("Link number 0.", second, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"older\"", second, StringComparison.Ordinal);
        Assert.Contains("id=\"newer\"", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pages_use_no_inline_script_or_style_and_their_filter_forms_are_labelled_gets()
    {
        var (_, browser) = await LoggedInUserAsync(server, isAdmin: true);
        using var _ = browser;
        foreach (var path in new[] { "/admin/audit", "/account/activity" })
        {
            using var response = await browser.GetAsync(path);
            var page = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.True(response.Headers.CacheControl!.NoStore);
            Assert.DoesNotContain("style=", page, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<script>", page, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<style", page, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("href=\"/css/activity.css", page, StringComparison.Ordinal);
            var form = Html.Form(page, "id=\"audit-filters\"");
            Assert.Contains("method=\"get\"", form, StringComparison.Ordinal);
            foreach (var id in new[] { "filter-kind", "filter-from", "filter-to" })
            {
                Assert.Contains($"<label for=\"{id}\">", form, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_retention_job_deletes_events_past_the_retention_in_batches_and_keeps_the_rest()
    {
        var user = ServerFixture.NewUser();
        var now = DateTime.UtcNow;
        var old = Enumerable.Range(0, AuditRetention.BatchSize + 50).Select(i => new AuditEvent
        {
            TimeUtc = now.AddDays(-181).AddMinutes(-i),
            Kind = AuditKind.LoginOk,
            UserName = user,
            Actor = user,
            Detail = "old",
        });
        var recent = Enumerable.Range(0, 5).Select(i => new AuditEvent
        {
            TimeUtc = now.AddDays(-179).AddMinutes(i),
            Kind = AuditKind.LoginOk,
            UserName = user,
            Actor = user,
            Detail = "recent",
        });
        await Audit.AddAsync(server, old.Concat(recent));
        Assert.Equal(AuditRetention.BatchSize + 55, (await Audit.EventsAsync(server, user)).Count);

        await using (var scope = server.CreateScope())
        {
            var deleted = await scope.ServiceProvider.GetRequiredService<AuditRetention>().RunOnceAsync(CancellationToken.None);
            Assert.Equal(AuditRetention.BatchSize + 50, deleted);
        }

        var left = await Audit.EventsAsync(server, user);
        Assert.Equal(5, left.Count);
        Assert.All(left, e => Assert.Equal("recent", e.Detail));

        await using (var scope = server.CreateScope())
        {
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<AuditRetention>().RunOnceAsync(CancellationToken.None));
        }
    }
}

public sealed class AuditPagesTests_Sqlite(ActivitySqliteFixture server) : AuditPagesTests(server), IClassFixture<ActivitySqliteFixture>;

public sealed class AuditPagesTests_Postgres(ActivityPostgresFixture server) : AuditPagesTests(server), IClassFixture<ActivityPostgresFixture>;
