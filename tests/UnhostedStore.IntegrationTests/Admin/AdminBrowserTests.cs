using System.Net;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// The admin pages in Debian's Chromium: an admin logs in, finds the overview with its charts
/// (server-drawn SVG, nothing the strict CSP refuses), the users list (also on a phone-sized
/// screen), and disables a user whose app token is then refused. Screenshots go to the test
/// output's <c>screenshots</c> folder.
/// </summary>
public abstract class AdminBrowserTests(SecurityServerFixture server, BrowserFixture browser)
{
    /// <summary>Screenshots keep the caret as it is: hiding it would inject a style element, which
    /// the page's CSP refuses (and this test counts every refusal).</summary>
    private static string Shot(string name, Backend backend)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, backend == Backend.SqliteFileSystem ? $"{name}.png" : $"{name}-{backend}.png");
    }

    [Fact]
    public async Task An_admin_sees_the_overview_with_its_charts_and_disables_a_user_whose_app_token_is_then_refused()
    {
        var admin = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, admin, Password, isAdmin: true);
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        foreach (var (path, bytes) in new[] { ("/notes/a", 30_000), ("/notes/b", 12_000), ("/photos/c", 50_000), ("/contacts/d", 4_000) })
        {
            Assert.Equal(HttpStatusCode.Created, await AccountTestHelpers.PutAsync(server, user, token, path, bytes));
        }

        var other = ServerFixture.NewUser();
        var otherToken = await server.Tokens.IssueAsync(other, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await AccountTestHelpers.PutAsync(server, other, otherToken, "/notes/x", 20_000));

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var csp = new System.Collections.Concurrent.ConcurrentQueue<string>();
        context.Page += (_, p) => p.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                csp.Enqueue($"{p.Url}: {m.Text} ({m.Location})");
            }
        };
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", admin);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#storage-address");

        await page.ClickAsync("#admin-link");
        await page.WaitForSelectorAsync("#overview-heading");
        var chart = page.Locator("#chart-users svg[role=img]");
        Assert.Contains(user, await chart.GetAttributeAsync("aria-label"), StringComparison.Ordinal);
        Assert.Equal(user, await page.Locator("#chart-users g.bar-row").First.GetAttributeAsync("data-label"));
        Assert.True(await page.Locator("#chart-modules g.bar-row[data-label=photos]").CountAsync() == 1);
        var barFill = await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('#chart-users rect.bar')).fill");
        Assert.NotEqual("rgb(0, 0, 0)", barFill);
        Assert.Equal("true", await page.GetAttributeAsync("#health-database", "data-healthy"));
        Assert.Equal("true", await page.GetAttributeAsync("#health-blobs", "data-healthy"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("admin-overview", server.Backend), FullPage = true, Caret = ScreenshotCaret.Initial });

        await page.ClickAsync("#admin-nav a[href='/admin/users']");
        await page.WaitForSelectorAsync("#users");
        await page.FillAsync("#q", user[..6]);
        await page.ClickAsync("#search button[type=submit]");
        await page.WaitForSelectorAsync($"tr.user[data-user={user}]");
        await page.GotoAsync("/admin/users");
        await page.WaitForSelectorAsync($"tr.user[data-user={user}]");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("admin-users", server.Backend), FullPage = true, Caret = ScreenshotCaret.Initial });

        await page.ClickAsync($"tr.user[data-user={user}] a");
        await page.WaitForSelectorAsync("#user-heading");
        await page.ClickAsync("#disable");
        await page.WaitForSelectorAsync("#confirm-form");
        await page.ClickAsync("#confirm");
        await page.WaitForSelectorAsync("#message");
        Assert.Contains("is disabled", await page.TextContentAsync("#message"), StringComparison.Ordinal);
        Assert.Equal("Disabled", await page.GetAttributeAsync("#user", "data-state"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("admin-user", server.Backend), FullPage = true, Caret = ScreenshotCaret.Initial });

        Assert.Equal(HttpStatusCode.Unauthorized, await AccountTestHelpers.GetAsync(server, user, token, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await AccountTestHelpers.GetAsync(server, other, otherToken, "/notes/x"));

        // A phone-sized screen: the table turns into stacked rows, nothing wider than the screen.
        var phone = await context.NewPageAsync();
        await phone.SetViewportSizeAsync(390, 844);
        await phone.GotoAsync("/admin/users");
        await phone.WaitForSelectorAsync("#users");
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the users page scrolls sideways on a phone");
        await phone.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("admin-users-phone", server.Backend), FullPage = true, Caret = ScreenshotCaret.Initial });
        await phone.GotoAsync("/admin");
        await phone.WaitForSelectorAsync("#chart-users svg");
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the overview scrolls sideways on a phone");

        Assert.Empty(csp);
    }
}

[Collection(BrowserCollection.Name)]
public sealed class AdminBrowserTests_Sqlite(AdminSqliteFixture server, BrowserFixture browser)
    : AdminBrowserTests(server, browser), IClassFixture<AdminSqliteFixture>;

[Collection(BrowserCollection.Name)]
public sealed class AdminBrowserTests_Postgres(AdminPostgresFixture server, BrowserFixture browser)
    : AdminBrowserTests(server, browser), IClassFixture<AdminPostgresFixture>;
