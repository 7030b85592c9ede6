using System.IO.Compression;
using System.Net;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.DataFreedom;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.E2E;

/// <summary>The export page in a real Chromium: a person logs in, picks a module and downloads
/// the zip the browser saves.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ExportPageTests(SqliteServerFixture server, BrowserFixture browser) : IClassFixture<SqliteServerFixture>
{
    private const float Timeout = 90_000;

    [Fact]
    public async Task A_person_picks_a_module_on_the_export_page_and_the_browser_saves_that_modules_zip()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Accounts.AccountTestHelpers.Password);
        var token = server.Tokens.Issue(user, "*:rw");
        foreach (var (path, body, type) in new[]
        {
            ("/notes/todo.txt", "buy milk", "text/plain"),
            ("/notes/ideas/one.json", "{\"idea\":1}", "application/json"),
            ("/public/notes/shared.txt", "hello world", "text/plain"),
            ("/photos/cat.png", "not really a png", "image/png"),
        })
        {
            Assert.Equal(HttpStatusCode.Created, await ExportHelpers.PutAsync(server, user, token, path, new StoredDocument(System.Text.Encoding.UTF8.GetBytes(body), type)));
        }

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = new ViewportSize { Width = 390, Height = 900 } });
        context.SetDefaultTimeout(Timeout);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/account/export").ToString());
        await page.WaitForSelectorAsync("#login");
        await page.FillAsync("input[name=UserName]", user);
        await page.FillAsync("input[name=Password]", Accounts.AccountTestHelpers.Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#download");

        // Both modules are offered with their sizes; the whole storage is the default.
        Assert.Equal(["notes", "photos"], await page.Locator(".module-choice").EvaluateAllAsync<string[]>("ls => ls.map(l => l.dataset.module)"));
        Assert.Contains("3 documents", await page.Locator(".module-choice[data-module=notes]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.IsCheckedAsync("input[name=module][value='']"));

        await page.CheckAsync("input[name=module][value=notes]");
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "export-page.png"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        Assert.Matches($@"^{user}-\d{{8}}\.zip$", download.SuggestedFilename);
        var saved = Path.Combine(server.DataDirectory, "download.zip");
        await download.SaveAsAsync(saved);
        using var zip = ZipFile.OpenRead(saved);
        Assert.Equal(
            ["notes/ideas/one.json", "notes/todo.txt", "public/notes/shared.txt"],
            ExportHelpers.Documents(zip).Keys.Order(StringComparer.Ordinal));
        Assert.Equal("buy milk"u8.ToArray(), ExportHelpers.Read(zip.GetEntry("notes/todo.txt")!));
    }
}
