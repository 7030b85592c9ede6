using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>The import page in Chromium: upload with progress, the job's progress, the report.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ImportPageTests(SqliteServerFixture server, BrowserFixture browser) : IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task A_zip_uploaded_on_the_page_shows_upload_progress_then_the_report()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);
        var docs = Enumerable.Range(0, 300).Select(i => TestArchive.Text($"notes/n {i}.txt", new string('x', 20_000) + i)).ToList();
        var zip = Path.Combine(server.DataDirectory, "upload.zip");
        await File.WriteAllBytesAsync(zip, TestArchive.Export(docs, extra: z => TestArchive.Add(z, "notes/stray.txt", [1])));
        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", AccountTestHelpers.Password);
        await page.ClickAsync("#login");

        // Wait for the account page's own element: WaitForURLAsync can miss the load event of a
        // navigation a form submit started.
        await page.WaitForSelectorAsync("#storage-address");
        await page.GotoAsync("/account/import");
        await page.SetInputFilesAsync("#archive", zip);
        await page.CheckAsync("input[value=overwrite]");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "import-1-form.png"), FullPage = true });

        // The upload can be over before a selector is polled: record what the status says.
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await page.ExposeFunctionAsync("uploadSeen", (string text) => seen.Enqueue(text));
        await page.EvaluateAsync("() => new MutationObserver(() => uploadSeen(document.getElementById('upload-percent').textContent)).observe(document.getElementById('upload-percent'), { childList: true, characterData: true, subtree: true })");
        await page.ClickAsync("#import");
        await page.WaitForSelectorAsync("#import-report", new PageWaitForSelectorOptions { Timeout = 60_000 });
        var jobUrl = page.Url;
        Assert.Contains("/account/import?job=", jobUrl, StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "import-2-report.png"), FullPage = true });

        Assert.Contains("100%", seen);
        Assert.Equal("300", await page.TextContentAsync("#imported"));
        Assert.Equal("1", await page.TextContentAsync("#unlisted"));

        // The job id is in the URL: a reload shows the same report.
        await page.GotoAsync(jobUrl);
        Assert.Equal("300", await page.TextContentAsync("#imported"));
        // The spooled upload is gone once the job has ended (this server's own spool folder:
        // other test classes import at the same time on servers of their own).
        var spool = Path.Combine(server.DataDirectory, "tmp", "imports");
        Assert.True(Directory.Exists(spool));
        Assert.Empty(Directory.EnumerateFiles(spool));
    }
}
