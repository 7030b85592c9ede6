using System.Collections.Concurrent;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>
/// Share links in headless Chromium: the owner makes a folder link on /account/shares; a fresh
/// browser without any session opens it, sees the thumbnails, plays and seeks a track through
/// Range requests, and the playlist goes on to the next; the owner revokes and the next request
/// of the other browser answers 410. Screenshots go to tests/TestResults/screenshots.
/// </summary>
public abstract class SharePageBrowserTests(ShareServerFixture server, BrowserFixture browser)
{
    private static string Screenshots => Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "TestResults", "screenshots");

    private string Suffix => server.Backend == Backend.SqliteFileSystem ? "sqlite" : "postgres-s3";

    [Fact]
    public async Task A_folder_link_made_on_the_account_page_shows_thumbnails_and_plays_audio_for_a_stranger_until_it_is_revoked()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutAsync(server, user, token, "/holiday/beach.png", Picture(640, 480), "image/png");
        await PutAsync(server, user, token, "/holiday/hills.jpg", Picture(480, 640, jpeg: true), "image/jpeg");
        await PutAsync(server, user, token, "/holiday/sunset.png", Picture(300, 300), "image/png; charset=binary");
        await PutAsync(server, user, token, "/holiday/1 waves.wav", Wav(20), "audio/wav");
        await PutAsync(server, user, token, "/holiday/2 birds.wav", Wav(2), "audio/wav");
        await PutTextAsync(server, user, token, "/holiday/itinerary.txt", "Day 1: beach.\nDay 2: hills.\nDay 3: <b>home</b>.");
        Directory.CreateDirectory(Screenshots);

        await using var ownerContext = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        ownerContext.SetDefaultTimeout(60_000);
        var owner = await ownerContext.NewPageAsync();
        var errors = WatchErrors(owner);
        await owner.GotoAsync("/login");
        await owner.FillAsync("#UserName", user);
        await owner.FillAsync("#Password", Password);
        await owner.ClickAsync("#login");
        await owner.WaitForSelectorAsync("#storage-address");
        await owner.ClickAsync("#shares");
        await owner.WaitForSelectorAsync("#create-share");
        await owner.GetByLabel("What to share").FillAsync("holiday/");
        await owner.CheckAsync("input[name=expiresDays][value='7']");
        await owner.ClickAsync("#create");
        await owner.WaitForSelectorAsync("#new-link");
        var url = await owner.InputValueAsync("#new-link");
        Assert.StartsWith(server.BaseAddress.ToString().TrimEnd('/') + "/s/", url, StringComparison.Ordinal);
        Assert.True(await owner.IsVisibleAsync("#copy-link"));
        await owner.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"account-shares-{Suffix}.png"), FullPage = true });

        // Someone else: a fresh browser, no session, on a phone-sized screen.
        await using var strangerContext = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
        });
        strangerContext.SetDefaultTimeout(60_000);
        var stranger = await strangerContext.NewPageAsync();
        var strangerErrors = WatchErrors(stranger);
        var ranges = new ConcurrentQueue<(string Range, int Status)>();
        stranger.Response += (_, response) =>
        {
            if (response.Request.Headers.TryGetValue("range", out var range) && response.Url.Contains("handler=raw", StringComparison.Ordinal))
            {
                ranges.Enqueue((range, response.Status));
            }
        };

        var opened = await stranger.GotoAsync(url);
        Assert.Equal(200, opened!.Status);
        Assert.Equal(0, await stranger.Locator("form[action='/logout']").CountAsync());
        await stranger.WaitForFunctionAsync("() => { const i = [...document.querySelectorAll('#gallery img')]; return i.length === 3 && i.every(x => x.complete && x.naturalWidth > 0); }");
        var widths = await stranger.EvaluateAsync<int[]>("() => [...document.querySelectorAll('#gallery img')].map(i => i.naturalWidth)");
        Assert.All(widths, w => Assert.InRange(w, 1, 256));
        Assert.True(await stranger.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await stranger.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"share-gallery-{Suffix}.png"), FullPage = true });

        // Play the first track, seek into it, and let the playlist go on to the next one.
        await stranger.ClickAsync("#playlist .track >> nth=0");
        await stranger.WaitForFunctionAsync("() => { const p = document.getElementById('playlist-player'); return !p.paused && p.currentTime > 0.2; }");
        await stranger.EvaluateAsync("() => { document.getElementById('playlist-player').currentTime = 12; }");
        await stranger.WaitForFunctionAsync("() => { const p = document.getElementById('playlist-player'); return !p.seeking && p.currentTime >= 12 && !p.paused; }");
        Assert.Contains(ranges, r => r.Status == 206);
        Assert.DoesNotContain(ranges, r => r.Status is not (206 or 200));
        await stranger.EvaluateAsync("() => { const p = document.getElementById('playlist-player'); p.currentTime = p.duration - 0.3; }");
        await stranger.WaitForFunctionAsync("() => document.getElementById('playlist-player').src.includes('2%20birds.wav')");
        Assert.Contains("Playing 2 of 2", await stranger.InnerTextAsync("#now-playing"), StringComparison.Ordinal);
        await stranger.EvaluateAsync("() => document.getElementById('playlist-player').pause()");

        // A document's own page: the text, escaped.
        await stranger.ClickAsync("#files a.name >> text=itinerary.txt");
        await stranger.WaitForSelectorAsync("#preview-text");
        Assert.Contains("Day 3: <b>home</b>.", await stranger.InnerTextAsync("#preview-text"), StringComparison.Ordinal);
        await stranger.GotoAsync(url + "/beach.png");
        await stranger.WaitForFunctionAsync("() => { const i = document.getElementById('preview-image'); return i.complete && i.naturalWidth === 640; }");
        await stranger.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"share-document-{Suffix}.png"), FullPage = true });

        // The owner revokes; the stranger's next request is refused.
        await owner.GotoAsync("/account/shares");
        await owner.ClickAsync("#links button.danger");
        await owner.WaitForSelectorAsync("#message");
        Assert.Equal("Revoked", (await owner.InnerTextAsync("#links .state")).Replace("State", string.Empty, StringComparison.Ordinal).Trim());
        var gone = await stranger.GotoAsync(url);
        Assert.Equal(410, gone!.Status);
        Assert.Contains("turned it off", await stranger.InnerTextAsync("#share-gone"), StringComparison.Ordinal);
        var image = await stranger.APIRequest.GetAsync(url + "/beach.png?handler=raw");
        Assert.Equal(410, image.Status);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.True(strangerErrors.Count == 0, string.Join("\n", strangerErrors));
    }

    /// <summary>Console errors (CSP violations included); the 410 page's own status is expected.</summary>
    private static List<string> WatchErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal) && !m.Text.Contains("410", StringComparison.Ordinal))
            {
                errors.Add(page.Url + ": " + m.Text + " " + m.Location);
            }
        };
        return errors;
    }
}

[Collection(BrowserCollection.Name)]
public sealed class SharePageBrowserTests_Sqlite(ShareSqliteFixture server, BrowserFixture browser) : SharePageBrowserTests(server, browser), IClassFixture<ShareSqliteFixture>;

[Collection(BrowserCollection.Name)]
public sealed class SharePageBrowserTests_PostgresS3(SharePostgresS3Fixture server, BrowserFixture browser) : SharePageBrowserTests(server, browser), IClassFixture<SharePostgresS3Fixture>;
