using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Accounts.HistoryPageHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>
/// The safety net in headless Chromium, on a phone-sized screen in a time zone far from UTC: an
/// app deletes and overwrites documents; the person restores the deleted one from the trash,
/// compares a JSON document with an older version, then sets the whole folder back to a time
/// typed in the date-time field, after a preview. The storage API then serves the old bytes
/// and types. No script or style is refused by the CSP on the way.
/// </summary>
public abstract class HistoryPageBrowserTests(ServerFixture server, BrowserFixture browser)
{
    private const string App = "https://notes.example";

    private const string Zone = "America/New_York";

    private static readonly byte[] Picture = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3];

    [Fact]
    public async Task A_deleted_document_comes_back_from_the_trash_and_a_folder_goes_back_to_a_time_typed_in_the_form()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var token = (await Browser.IssueAsync(server, user, App, 1, "notes:rw")).AccessToken;
        var todo = Encoding.UTF8.GetBytes("- buy milk\n- call the plumber\n");
        var list = "{\"title\":\"groceries\",\"items\":[\"milk\",\"eggs\",\"bread\"]}";
        var deep = "# Plans\n\nGo to the sea.\nTake the train.\n";
        await PutAsync(server, user, token, "/notes/todo.txt", todo, "text/plain; charset=utf-8");
        await PutTextAsync(server, user, token, "/notes/list.json", list, "application/json");
        await PutAsync(server, user, token, "/notes/pic.png", Picture, "image/png");
        await PutTextAsync(server, user, token, "/notes/sub/plans.md", deep, "text/markdown");
        await PutTextAsync(server, user, token, "/notes/keep.txt", "left alone");
        var moment = await MomentBetweenAsync();

        // The app: one deletion, overwrites, one new document.
        await AppDeleteAsync(server, user, token, "/notes/todo.txt");
        await PutTextAsync(server, user, token, "/notes/list.json", "{\"title\":\"shopping\",\"items\":[\"milk\",\"bread\",\"cheese\"]}", "application/json");
        await PutAsync(server, user, token, "/notes/pic.png", [0x89, 0x50, 0x4E, 0x47, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9], "image/png");
        await PutTextAsync(server, user, token, "/notes/sub/plans.md", "# Plans\n\nStay home.\n", "text/plain");
        await PutTextAsync(server, user, token, "/notes/junk.txt", "the app wrote this later");

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        var prefix = "history-" + server.Backend.ToString().ToLowerInvariant() + "-";
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            TimezoneId = Zone,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            // The server has no favicon; that 404 is the browser's own request.
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                errors.Add(page.Url + ": " + m.Text);
            }
        };

        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#storage-address");

        // The trash, reached from the account page.
        await page.ClickAsync("#history-link");
        await page.WaitForSelectorAsync("[data-path='/notes/todo.txt']");
        var item = page.Locator("[data-path='/notes/todo.txt']");
        Assert.Contains(App, await item.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("just now", await item.Locator("time").InnerTextAsync());
        Assert.NotNull(await item.Locator("time").GetAttributeAsync("datetime"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, prefix + "1-trash.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = "Restore /notes/todo.txt" }).ClickAsync();
        await page.WaitForSelectorAsync("#message");
        Assert.Contains("Restored /notes/todo.txt", await page.InnerTextAsync("#message"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("[data-path='/notes/todo.txt']").CountAsync());
        await AssertStoredAsync(server, user, token, "/notes/todo.txt", todo, "text/plain; charset=utf-8");

        // A document's history, looked up by its path, compared with its older version.
        await page.GetByLabel("See the history of a document").FillAsync("/notes/list.json");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show history" }).ClickAsync();
        await page.WaitForSelectorAsync("#current-version");
        await page.Locator("a.compare").First.ClickAsync();
        await page.WaitForSelectorAsync("#diff");
        // Formatted JSON: the title line, and "eggs" out and "cheese" in (with the commas that move).
        Assert.Equal(3, await page.Locator("#diff [data-kind=removed]").CountAsync());
        Assert.Equal(3, await page.Locator("#diff [data-kind=added]").CountAsync());
        Assert.Contains("\"shopping\"", await page.Locator("#diff [data-kind=added]").First.InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, prefix + "2-document-compare.png"), FullPage = true });

        // The folder as it was, at a time typed in this browser's zone (five hours behind UTC in winter, four in summer).
        await page.ClickAsync("#restore-folder-link");
        await page.WaitForSelectorAsync("#restore-form");
        Assert.Equal("/notes/", await page.InputValueAsync("#restore-path"));
        Assert.Contains(Zone, await page.InnerTextAsync("#tz-note"), StringComparison.Ordinal);
        var local = TimeZoneInfo.ConvertTimeFromUtc(moment, TimeZoneInfo.FindSystemTimeZoneById(Zone));

        // The field's value reads back without ":00" seconds; Playwright checks it reads back as filled.
        await page.GetByLabel("Date and time").FillAsync(local.ToString(local.Second == 0 ? "yyyy-MM-ddTHH:mm" : "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        await page.ClickAsync("#preview");
        await page.WaitForSelectorAsync("#restore-preview");
        Assert.Equal("4", await page.InnerTextAsync("#count-restore"));
        Assert.Equal("1", await page.InnerTextAsync("#count-delete"));
        Assert.Equal("1", await page.InnerTextAsync("#count-unchanged"));
        Assert.Equal(1, await page.Locator("#to-delete [data-path='/notes/junk.txt']").CountAsync());
        Assert.Contains(UnhostedStore.Pages.Account.History.HistoryText.Exact(moment), await page.InnerTextAsync("#as-of"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, prefix + "3-folder-preview.png"), FullPage = true });

        await page.ClickAsync("#confirm-restore");
        await page.WaitForSelectorAsync("#restore-report");
        Assert.Equal("4", await page.InnerTextAsync("#restored"));
        Assert.Equal("1", await page.InnerTextAsync("#deleted"));
        Assert.Equal("0", await page.InnerTextAsync("#failed"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, prefix + "4-folder-report.png"), FullPage = true });

        await AssertStoredAsync(server, user, token, "/notes/list.json", Encoding.UTF8.GetBytes(list), "application/json");
        await AssertStoredAsync(server, user, token, "/notes/pic.png", Picture, "image/png");
        await AssertStoredAsync(server, user, token, "/notes/sub/plans.md", Encoding.UTF8.GetBytes(deep), "text/markdown");
        await AssertStoredAsync(server, user, token, "/notes/todo.txt", todo, "text/plain; charset=utf-8");
        await AssertStoredAsync(server, user, token, "/notes/keep.txt", Encoding.UTF8.GetBytes("left alone"), "text/plain; charset=utf-8");
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(server, user, token, "/notes/junk.txt")).Status);
        Assert.Empty(errors);
    }
}

[Collection(BrowserCollection.Name)]
public sealed class HistoryPageBrowserSqliteTests(SqliteServerFixture server, BrowserFixture browser)
    : HistoryPageBrowserTests(server, browser), IClassFixture<SqliteServerFixture>;

[Collection(BrowserCollection.Name)]
public sealed class HistoryPageBrowserPostgresS3Tests(PostgresS3ServerFixture server, BrowserFixture browser)
    : HistoryPageBrowserTests(server, browser), IClassFixture<PostgresS3ServerFixture>;
