using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Files.FilesHelpers;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// The file browser in headless Chromium: log in, browse to a module with thumbnails, play a
/// folder's audio and seek through Range requests, upload a 100 MB file with a visible
/// progress bar and download it again byte for byte, cancel an upload, answer "replace?",
/// drop a file and pick a whole folder, on a desktop and a phone-sized screen; rename a folder
/// of documents and move it to another folder through the row's Move form. Screenshots go to
/// tests/TestResults/screenshots.
/// </summary>
public abstract class FilesPageBrowserTests(FilesBrowserServerFixture server, BrowserFixture browser)
{
    private const int UploadBytes = 100 * 1024 * 1024;

    private static string Screenshots => Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "TestResults", "screenshots");

    private string Suffix => server.Backend == Backend.SqliteFileSystem ? "sqlite" : "postgres-s3";

    [Fact]
    public async Task A_person_browses_plays_uploads_with_progress_and_downloads_the_same_bytes()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutAsync(server, user, token, "/holiday/beach.png", Picture(640, 480), "image/png");
        await PutAsync(server, user, token, "/holiday/hills.jpg", Picture(480, 640, jpeg: true), "image/jpeg");
        await PutAsync(server, user, token, "/holiday/1 waves.wav", Wav(300, 44_100), "audio/wav");
        await PutAsync(server, user, token, "/holiday/2 birds.wav", Wav(2), "audio/wav");
        await PutTextAsync(server, user, token, "/holiday/itinerary.txt", "Day 1: beach.\nDay 2: hills.");
        await PutTextAsync(server, user, token, "/holiday/plan.json", "{\"days\":2}", "application/json");
        await PutTextAsync(server, user, token, "/holiday/page.html", "<h1>hi</h1>", "text/html");
        await PutAsync(server, user, token, "/holiday/ticket.pdf", new byte[3000], "application/pdf");
        Directory.CreateDirectory(Screenshots);
        var work = Path.Combine(server.DataDirectory, "browser-files");
        Directory.CreateDirectory(work);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString(), AcceptDownloads = true });
        context.SetDefaultTimeout(120_000);
        var page = await context.NewPageAsync();
        var errors = WatchErrors(page);
        var ranges = new ConcurrentQueue<(string Range, int Status)>();
        page.Response += (_, response) =>
        {
            if (response.Request.Headers.TryGetValue("range", out var range) && response.Url.Contains("/files/bytes", StringComparison.Ordinal))
            {
                ranges.Enqueue((range, response.Status));
            }
        };
        await LogInAsync(page, user);
        await page.ClickAsync("#nav-files");
        await page.WaitForSelectorAsync("#files");
        await page.ClickAsync("#files a.name >> text=holiday/");
        await page.WaitForFunctionAsync("() => { const i = [...document.querySelectorAll('#files td.thumb img')]; return i.length === 2 && i.every(x => x.complete && x.naturalWidth > 0); }");
        Assert.Equal("tests.example", (await page.InnerTextAsync("tr[data-path='/holiday/beach.png'] .app")).Trim());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"files-listing-{Suffix}.png"), FullPage = true });

        // The folder's audio as a playlist: play, seek far into the first track (26 MB: beyond
        // what the player has fetched, so it asks for a range), go on to the next.
        await page.ClickAsync("#playlist .track >> nth=0");
        await page.WaitForFunctionAsync("() => { const p = document.getElementById('playlist-player'); return !p.paused && p.currentTime > 0.2; }");
        await page.EvaluateAsync("() => { document.getElementById('playlist-player').currentTime = 280; }");
        await page.WaitForFunctionAsync("() => { const p = document.getElementById('playlist-player'); return !p.seeking && p.currentTime >= 280 && !p.paused; }");
        Assert.Contains(ranges, r => r.Status == 206 && r.Range != "bytes=0-");
        Assert.DoesNotContain(ranges, r => r.Status is not (206 or 200));
        await page.EvaluateAsync("() => { const p = document.getElementById('playlist-player'); p.currentTime = p.duration - 0.3; }");
        await page.WaitForFunctionAsync("() => document.getElementById('playlist-player').src.includes('2%20birds.wav')");
        await page.EvaluateAsync("() => document.getElementById('playlist-player').pause()");

        // A preview page of its own.
        await page.ClickAsync("#files a.name >> text=beach.png");
        await page.WaitForFunctionAsync("() => { const i = document.getElementById('preview-image'); return i && i.complete && i.naturalWidth === 640; }");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"files-preview-{Suffix}.png"), FullPage = true });
        await page.GotoAsync("/files/preview?path=/holiday/itinerary.txt");
        Assert.Contains("Day 2: hills.", await page.InnerTextAsync("#preview-text"), StringComparison.Ordinal);

        // 100 MB up, with the progress bar passing through values between 0 and 100.
        var file = Path.Combine(work, "big upload.bin");
        var bytes = RandomNumberGenerator.GetBytes(UploadBytes);
        await File.WriteAllBytesAsync(file, bytes);
        var sum = SHA256.HashData(bytes);
        bytes = [];
        await page.GotoAsync("/files?path=/uploads/");
        Assert.Contains("There is nothing in this folder", await page.InnerTextAsync("#folder-empty"), StringComparison.Ordinal);
        var seen = new ConcurrentQueue<int>();
        await page.ExposeFunctionAsync("progressSeen", (int value) => seen.Enqueue(value));
        await page.EvaluateAsync("() => new MutationObserver(ms => ms.forEach(m => { if (m.attributeName === 'aria-valuenow') { progressSeen(Number(m.target.getAttribute('aria-valuenow'))); } })).observe(document.getElementById('uploads'), { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] })");
        await page.SetInputFilesAsync("#pick-files", file);
        await page.WaitForSelectorAsync("#uploads li.done", new PageWaitForSelectorOptions { Timeout = 300_000 });
        Assert.Contains(seen, v => v is > 0 and < 100);
        Assert.Contains(100, seen);
        Assert.Equal("100", await page.GetAttributeAsync("#uploads progress[role=progressbar]", "aria-valuenow"));
        Assert.Contains("1 file uploaded", await page.InnerTextAsync("#upload-status"), StringComparison.Ordinal);
        await page.WaitForSelectorAsync("tr[data-path='/uploads/big upload.bin']");
        Assert.Contains("100 MB", await page.InnerTextAsync("tr[data-path='/uploads/big upload.bin'] .size"), StringComparison.Ordinal);
        Assert.Equal("Files page", (await page.InnerTextAsync("tr[data-path='/uploads/big upload.bin'] .app")).Trim());

        // ... and down again, the same bytes.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("tr[data-path='/uploads/big upload.bin'] a.download"));
        Assert.Equal("big upload.bin", download.SuggestedFilename);
        var saved = Path.Combine(work, "downloaded.bin");
        await download.SaveAsAsync(saved);
        await using (var stream = File.OpenRead(saved))
        {
            Assert.Equal(sum, await SHA256.HashDataAsync(stream));
        }

        File.Delete(saved);

        // Cancelled as soon as it has started: nothing stored.
        var cancelled = Path.Combine(work, "cancel me.bin");
        File.Move(file, cancelled);
        await page.EvaluateAsync("() => new MutationObserver(() => { const row = [...document.querySelectorAll('#uploads li')].find(li => li.querySelector('.file').textContent === 'cancel me.bin'); const bar = row && row.querySelector('progress'); if (bar && Number(bar.getAttribute('aria-valuenow')) > 0 && Number(bar.getAttribute('aria-valuenow')) < 100) { row.querySelector('button.cancel').click(); } }).observe(document.getElementById('uploads'), { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] })");
        await page.SetInputFilesAsync("#pick-files", cancelled);
        await page.WaitForSelectorAsync("#uploads li.cancelled");
        Assert.Contains("Nothing was stored", await page.InnerTextAsync("#uploads li.cancelled .state"), StringComparison.Ordinal);
        var check = await page.APIRequest.GetAsync("/files/bytes?path=/uploads/cancel%20me.bin");
        Assert.Equal(404, check.Status);
        File.Delete(cancelled);

        // The same name again: asked first, then replaced.
        var note = Path.Combine(work, "note.txt");
        await File.WriteAllTextAsync(note, "first");
        await page.SetInputFilesAsync("#pick-files", note);
        await page.WaitForSelectorAsync("tr[data-path='/uploads/note.txt']");
        await File.WriteAllTextAsync(note, "second, longer");
        await page.SetInputFilesAsync("#pick-files", note);
        await page.WaitForSelectorAsync("#uploads li.asking button.replace");
        Assert.Contains("already here", await page.InnerTextAsync("#uploads li.asking .state"), StringComparison.Ordinal);
        await page.ClickAsync("#uploads li.asking button.replace");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#uploads li.done').length === 3");
        Assert.Equal("second, longer", await (await page.APIRequest.GetAsync("/files/bytes?path=/uploads/note.txt")).TextAsync());

        // A whole folder picked, and a file dropped onto the listing.
        var folder = Path.Combine(work, "trip");
        Directory.CreateDirectory(Path.Combine(folder, "day 2"));
        await File.WriteAllTextAsync(Path.Combine(folder, "a.txt"), "day one");
        await File.WriteAllTextAsync(Path.Combine(folder, "day 2", "b.txt"), "day two");
        await page.SetInputFilesAsync("#pick-folder", folder);
        await page.WaitForSelectorAsync("tr[data-path='/uploads/trip/']");
        Assert.Equal("day two", await (await page.APIRequest.GetAsync("/files/bytes?path=/uploads/trip/day%202/b.txt")).TextAsync());
        await page.EvaluateAsync("() => { const t = new DataTransfer(); t.items.add(new File(['dropped text'], 'dropped.txt', { type: 'text/plain' })); const zone = document.getElementById('listing'); zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: t, bubbles: true, cancelable: true })); zone.dispatchEvent(new DragEvent('drop', { dataTransfer: t, bubbles: true, cancelable: true })); }");
        await page.WaitForSelectorAsync("tr[data-path='/uploads/dropped.txt']");
        Assert.Equal("6 files uploaded. 1 cancelled or skipped.", await page.InnerTextAsync("#upload-status"));
        Assert.Equal(0, await page.Locator("#uploads button.cancel:visible").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"files-uploads-{Suffix}.png"), FullPage = true });

        // On a phone: rows collapse, nothing scrolls sideways.
        await using var phone = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
        });
        var small = await phone.NewPageAsync();
        var phoneErrors = WatchErrors(small);
        await LogInAsync(small, user);
        await small.GotoAsync("/files?path=/holiday/");
        await small.WaitForFunctionAsync("() => [...document.querySelectorAll('#files td.thumb img')].every(x => x.complete && x.naturalWidth > 0)");
        Assert.True(await small.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await small.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"files-phone-{Suffix}.png"), FullPage = true });

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.True(phoneErrors.Count == 0, string.Join("\n", phoneErrors));
    }

    [Fact]
    public async Task A_person_renames_a_folder_of_documents_then_moves_it_elsewhere_and_its_bytes_follow_while_the_old_paths_are_gone()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        var documents = new Dictionary<string, (byte[] Bytes, string Type)>(StringComparer.Ordinal)
        {
            ["beach.png"] = (Picture(640, 480), "image/png"),
            ["notes.txt"] = ("Swim at nine."u8.ToArray(), "text/plain; charset=utf-8"),
            ["raw.bin"] = (RandomNumberGenerator.GetBytes(300_000), "application/octet-stream"),
            ["day 2/sunset.jpg"] = (Picture(480, 640, jpeg: true), "image/jpeg"),
        };
        foreach (var (name, (bytes, type)) in documents)
        {
            await PutAsync(server, user, token, "/albums/summer/" + Encode(name), bytes, type);
        }

        await PutTextAsync(server, user, token, "/albums/cover.txt", "stays");
        await PutTextAsync(server, user, token, "/archive/2019.txt", "was here first");
        Directory.CreateDirectory(Screenshots);
        var work = Path.Combine(server.DataDirectory, "browser-rename");
        Directory.CreateDirectory(work);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString(), AcceptDownloads = true });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = WatchErrors(page);
        await LogInAsync(page, user);
        await page.GotoAsync("/files?path=/albums/");
        Assert.Equal(["summer/", "cover.txt"], await NamesAsync(page));

        // Renamed in place, through the row's Move link and its form.
        await page.ClickAsync("tr[data-path='/albums/summer/'] a.move");
        await page.WaitForSelectorAsync("#move");
        Assert.Equal("/albums/summer/", await page.InputValueAsync("#from"));
        await page.FillAsync("#to", "/albums/summer 2026/");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"files-rename-{Suffix}.png"), FullPage = true });
        await page.ClickAsync("#move-button");
        await page.WaitForSelectorAsync("#message");
        Assert.Equal("/albums/", await page.GetAttributeAsync("#folder", "data-path"));
        Assert.Equal("Moved /albums/summer/ to /albums/summer 2026/ (4 documents).", (await page.InnerTextAsync("#message")).Trim());
        Assert.Equal(["summer 2026/", "cover.txt"], await NamesAsync(page));

        // Then to another parent: both listings change.
        await page.ClickAsync("tr[data-path='/albums/summer 2026/'] a.move");
        await page.FillAsync("#to", "/archive/summer 2026/");
        await page.ClickAsync("#move-button");
        await page.WaitForSelectorAsync("#message");
        Assert.Equal("/archive/", await page.GetAttributeAsync("#folder", "data-path"));
        Assert.Equal(["summer 2026/", "2019.txt"], await NamesAsync(page));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"files-renamed-{Suffix}.png"), FullPage = true });
        await page.GotoAsync("/files?path=/albums/");
        Assert.Equal(["cover.txt"], await NamesAsync(page));

        // Every document downloads from its new place with the bytes it was stored with.
        foreach (var (name, (bytes, _)) in documents)
        {
            var path = "/archive/summer 2026/" + name;
            await page.GotoAsync("/files?path=" + Encode(path[..(path.LastIndexOf('/') + 1)]));
            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync($"tr[data-path='{path}'] a.download"));
            Assert.Equal(name[(name.LastIndexOf('/') + 1)..], download.SuggestedFilename);
            var saved = Path.Combine(work, "downloaded");
            await download.SaveAsAsync(saved);
            var got = await File.ReadAllBytesAsync(saved);
            Assert.True(bytes.AsSpan().SequenceEqual(got), $"{path}: other bytes");
            File.Delete(saved);
        }

        // The storage API no longer knows the old paths, nor the name in between.
        foreach (var old in new[] { "/albums/summer/", "/albums/summer 2026/" })
        {
            foreach (var name in documents.Keys)
            {
                using var gone = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}{Encode(old + name)}").WithToken(token));
                Assert.True(gone.StatusCode == System.Net.HttpStatusCode.NotFound, $"{old}{name}: {(int)gone.StatusCode}");
            }
        }

        using var albums = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/albums/").WithToken(token));
        using var listing = System.Text.Json.JsonDocument.Parse(await albums.Content.ReadAsStringAsync());
        Assert.Equal(["cover.txt"], listing.RootElement.GetProperty("items").EnumerateObject().Select(p => p.Name));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>The names the listing shows, in its order (folders first).</summary>
    private static async Task<string[]> NamesAsync(IPage page) =>
        [.. (await page.Locator("#files a.name").AllInnerTextsAsync()).Select(n => n.Trim())];

    private static async Task LogInAsync(IPage page, string user)
    {
        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#storage-address");
    }

    /// <summary>Console errors, CSP violations included; the 412 that asks "replace?" is expected.</summary>
    private static List<string> WatchErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal)
                && !(m.Text.Contains("status of 412", StringComparison.Ordinal) && m.Location.Contains("/files/upload?", StringComparison.Ordinal)))
            {
                errors.Add(page.Url + ": " + m.Text + " " + m.Location);
            }
        };
        return errors;
    }
}

[Collection(BrowserCollection.Name)]
public sealed class FilesPageBrowserTests_Sqlite(FilesBrowserSqliteFixture server, BrowserFixture browser) : FilesPageBrowserTests(server, browser), IClassFixture<FilesBrowserSqliteFixture>;

[Collection(BrowserCollection.Name)]
public sealed class FilesPageBrowserTests_PostgresS3(FilesBrowserPostgresS3Fixture server, BrowserFixture browser) : FilesPageBrowserTests(server, browser), IClassFixture<FilesBrowserPostgresS3Fixture>;
