using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>
/// /account/delete in headless Chromium, on a phone-sized screen: the page works without
/// scripts (CSP allows none inline), a wrong password gets a plain error and deletes nothing, the
/// right one shows the confirmation. Screenshots go to tests/TestResults/screenshots.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountDeletionPageBrowserTests(DeletionSqliteFixture server, BrowserFixture browser) : IClassFixture<DeletionSqliteFixture>
{
    private static string Screenshots => Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "TestResults", "screenshots");

    [Fact]
    public async Task A_wrong_password_gets_a_plain_error_and_the_right_one_the_confirmation_with_the_erase_date()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            // The server has no favicon; that 404 is the browser's own request.
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                errors.Add(page.Url + ": " + m.Text + " " + m.Location);
            }
        };

        await page.GotoAsync(new Uri(server.BaseAddress, "/login").ToString());
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.ClickAsync("#login");
        await page.WaitForUrlAsync(url => url.EndsWith("/account", StringComparison.Ordinal));
        await page.ClickAsync("#delete-account");
        await page.WaitForUrlAsync(url => url.EndsWith("/account/delete", StringComparison.Ordinal));
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "account-delete-form.png"), FullPage = true });

        // The password field is labelled and focused.
        Assert.Equal("Password", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        Assert.Equal("/account/export", await page.GetAttributeAsync("#export-first", "href"));

        await page.GetByLabel("Your password, to confirm that it is you").FillAsync("not the password");
        await page.ClickAsync("#delete-now");
        await page.WaitForSelectorAsync("[role=alert] li");
        Assert.Equal("That password is not right. Nothing was deleted.", (await page.InnerTextAsync("[role=alert] li")).Trim());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "account-delete-wrong-password.png"), FullPage = true });
        await using (var scope = server.CreateScope())
        {
            Assert.False(await ServerFixture.Db(scope).AccountDeletions.AnyAsync(d => d.UserName == user));
        }

        await page.GetByLabel("Your password, to confirm that it is you").FillAsync(Password);
        await page.ClickAsync("#delete-now");
        await page.WaitForSelectorAsync("#scheduled");
        var confirmation = await page.InnerTextAsync("#scheduled");
        Assert.Contains("You are logged out.", confirmation, StringComparison.Ordinal);
        Assert.Contains(DateTime.UtcNow.AddDays(7).ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), confirmation, StringComparison.Ordinal);
        Assert.Contains("Cancel deletion", confirmation, StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "account-delete-confirmation.png"), FullPage = true });

        // Nothing sideways on a phone, and no script or CSP error.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        await using (var scope = server.CreateScope())
        {
            Assert.True(await ServerFixture.Db(scope).AccountDeletions.AnyAsync(d => d.UserName == user));
        }

        Assert.True(File.Exists(Path.Combine(Screenshots, "account-delete-confirmation.png")));
    }
}
