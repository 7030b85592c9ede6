using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.AppPasswords;

/// <summary>
/// The account home in headless Chromium: an app password made on its page, copied, used by a
/// plain HTTP client (as a backup script would), listed on the account page and revoked there;
/// and the usage charts on a phone-sized screen. No CSP violation on the way. Screenshots go to
/// tests/TestResults/screenshots.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AppPasswordBrowserTests(SqliteServerFixture server, BrowserFixture browser) : IClassFixture<SqliteServerFixture>
{
    private static string Screenshots => Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "TestResults", "screenshots");

    [Fact]
    public async Task An_app_password_made_on_the_page_works_for_a_script_until_it_is_revoked_on_the_account_page()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        await StoreSampleAsync(user);
        Directory.CreateDirectory(Screenshots);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = WatchErrors(page);
        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#storage-address");

        await page.ClickAsync("#app-passwords-link");
        await page.WaitForSelectorAsync("#create-app-password");
        await page.GetByLabel("Name").FillAsync("Backup script");
        await page.GetByLabel("What it may use").FillAsync("notes:rw");
        await page.CheckAsync("input[name=expiresDays][value='30']");
        await page.ClickAsync("#create");
        await page.WaitForSelectorAsync("#new-token");
        var token = await page.InputValueAsync("#new-token");
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);

        // The script moves the focus to the new password; the copy button puts it on the clipboard.
        Assert.Equal("new-token", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.ClickAsync("#copy-token");
        await page.WaitForFunctionAsync("() => document.getElementById('copy-token').textContent === 'Copied'");
        Assert.Equal(token, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "account-app-passwords.png"), FullPage = true });

        // A script with nothing but the token.
        using var script = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.Created, await SendAsync(script, HttpMethod.Put, $"/storage/{user}/notes/from-script.txt", token, "backed up"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(script, HttpMethod.Get, $"/storage/{user}/notes/from-script.txt", token));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(script, HttpMethod.Put, $"/storage/{user}/photos/nope.jpg", token, "x"));

        await page.ClickAsync("#done");
        await page.WaitForSelectorAsync("#storage-address");
        var row = page.Locator("tr[data-kind='app-password']");
        Assert.Equal(1, await row.CountAsync());
        Assert.Contains("Backup script", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("app password", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("read and write your notes", await row.InnerTextAsync(), StringComparison.Ordinal);

        // The usage charts on a phone: nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#usage-bar");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        var barWidth = await page.EvaluateAsync<double>("() => document.getElementById('usage-bar').getBoundingClientRect().width");
        Assert.InRange(barWidth, 200, 390);
        Assert.Equal(4, await page.Locator("#module-chart .module-bar").CountAsync());
        await page.Locator("section[aria-labelledby='usage-heading']").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Screenshots, "account-usage.png") });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "account-home.png"), FullPage = true });

        // Revoked on the account page: the script's very next request is refused.
        await page.ClickAsync("button[aria-label='Revoke the app password Backup script']");
        await page.WaitForSelectorAsync("#message");
        Assert.Equal(0, await page.Locator("tr[data-kind='app-password']").CountAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(script, HttpMethod.Get, $"/storage/{user}/notes/from-script.txt", token));

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>Some documents in four modules, a replaced photo in history, and a 4 MB quota.</summary>
    private async Task StoreSampleAsync(string user)
    {
        var writer = await server.Tokens.IssueAsync(user, "*:rw");
        foreach (var (path, kb) in new[] { ("/photos/beach.jpg", 900), ("/photos/hills.jpg", 700), ("/music/song.ogg", 800), ("/notes/todo.txt", 40), ("/notes/ideas.md", 25), ("/contacts/alice.json", 3) })
        {
            Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, writer, path, kb * 1024));
        }

        Assert.Equal(HttpStatusCode.OK, await PutAsync(server, user, writer, "/photos/hills.jpg", 650 * 1024));
        using var scope = server.Services.CreateScope();
        await UnhostedStore.Accounts.UserLock.SetQuotaAsync(scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>(), user, 4L * 1024 * 1024, CancellationToken.None);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path).WithToken(token);
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Console errors, CSP violations included.</summary>
    private static List<string> WatchErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                errors.Add(page.Url + ": " + m.Text + " " + m.Location);
            }
        };
        return errors;
    }
}
