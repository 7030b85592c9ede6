using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Activity;

/// <summary>The audit log and a person's activity page in Chromium, on a desktop and a phone
/// screen, without a single CSP violation; screenshots go to the test output.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AuditPagesBrowserTests(ActivitySqliteFixture server, BrowserFixture browser) : IClassFixture<ActivitySqliteFixture>
{
    [Fact]
    public async Task An_admin_filters_the_audit_log_and_reads_their_own_activity()
    {
        var admin = ServerFixture.NewUser();
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, admin, AccountTestHelpers.Password, isAdmin: true);
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);
        using (var other = new Browser(server) { ClientIp = "198.51.100.77", UserAgent = Audit.Firefox })
        {
            using (await other.TryLoginAsync(user, "a wrong password"))
            {
            }

            await other.LoginAsync(user, AccountTestHelpers.Password);
        }

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, m) =>
        {
            // CSP violations are console errors. The server has no favicon; that 404 is the
            // browser's own request.
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                problems.Add(page.Url + ": " + m.Text);
            }
        };

        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", admin);
        await page.FillAsync("#Password", AccountTestHelpers.Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#storage-address");

        await page.GotoAsync("/admin/audit");
        Assert.Equal("Audit log", await page.TextContentAsync("h1"));
        Assert.True(await page.Locator("#audit-events tr.event", new PageLocatorOptions { HasText = user }).CountAsync() >= 2);

        // The filter form is a GET form: its values end up in the address, for a bookmark.
        await page.FillAsync("#filter-user", user);
        await page.SelectOptionAsync("#filter-kind", "login");
        await page.ClickAsync("#filter-show");
        await page.WaitForUrlAsync(url => url.Contains("kind=login", StringComparison.Ordinal));
        Assert.Equal(2, await page.Locator("#audit-events tr.event").CountAsync());
        Assert.Equal(1, await page.Locator("#audit-events tr.event.failed").CountAsync());
        Assert.Contains("198.51.100.77", await page.TextContentAsync("#audit-events tr.failed td.from"), StringComparison.Ordinal);
        Assert.Contains("Firefox on Linux", await page.TextContentAsync("#audit-events tr.failed td.from"), StringComparison.Ordinal);
        Assert.Equal("login", await page.InputValueAsync("#filter-kind"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "admin-audit.png"), FullPage = true });

        await page.GotoAsync("/account");
        await page.ClickAsync("#activity-link");
        await page.WaitForSelectorAsync("#audit-events");
        Assert.Equal("Recent activity", await page.TextContentAsync("h1"));
        Assert.Equal(0, await page.Locator("#filter-user").CountAsync());
        Assert.Contains("You", await page.TextContentAsync("#audit-events tr.event td.by"), StringComparison.Ordinal);
        Assert.Contains("on Linux", await page.TextContentAsync("#audit-events tr.event td.from"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "account-activity.png"), FullPage = true });

        // A phone: one column, nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "account-activity-phone.png"), FullPage = true });

        Assert.True(problems.Count == 0, "console: " + string.Join("\n", problems));
        Assert.True(File.Exists(Path.Combine(shots, "admin-audit.png")));
        Assert.True(File.Exists(Path.Combine(shots, "account-activity.png")));
    }
}
