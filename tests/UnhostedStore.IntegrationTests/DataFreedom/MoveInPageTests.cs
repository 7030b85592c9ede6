using System.Collections.Concurrent;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>The move-in page in Chromium, through the old server's real OAuth page: the old
/// server is an UnhostedStore, which announces a token endpoint, so the code grant with PKCE
/// (RFC 6749 §4.1, RFC 7636 S256) is used and the code is redeemed by our server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class MoveInPageTests(SqliteServerFixture server, MoveInSource source, BrowserFixture browser) : IClassFixture<SqliteServerFixture>, IClassFixture<MoveInSource>
{
    [Fact]
    public async Task The_page_sends_the_person_through_the_old_servers_oauth_page_with_the_code_grant_and_shows_the_report()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);
        await Browser.CreateAccountAsync(source.Server, user, AccountTestHelpers.Password);
        var writer = source.Server.Tokens.Issue(user, "*:rw");
        for (var i = 0; i < 12; i++)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/n{i}.txt").WithToken(writer);
            put.Content = new StringContent("note " + i);
            (await source.Server.Client.SendAsync(put)).Dispose();
        }

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);

        // Cookies ignore ports: the old server is reached as localhost, ours as 127.0.0.1.
        var oldAddress = user + "@localhost:" + source.Server.InProcessAddress.Port;
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var requests = new ConcurrentQueue<string>();
        context.Request += (_, request) => requests.Enqueue(request.Url);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", AccountTestHelpers.Password);
        await page.ClickAsync("#login");
        await page.WaitForUrlAsync(url => url.EndsWith("/account", StringComparison.Ordinal));
        await page.GotoAsync("/account/move-in");
        await page.FillAsync("#Address", oldAddress);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "move-in-1-form.png"), FullPage = true });
        await page.ClickAsync("#find");
        await page.WaitForSelectorAsync("#continue");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "move-in-2-found.png"), FullPage = true });
        await page.ClickAsync("#continue");

        await page.WaitForUrlAsync(url => url.StartsWith("http://localhost:", StringComparison.Ordinal) && url.Contains("/login", StringComparison.Ordinal));
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", AccountTestHelpers.Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#allow");
        Assert.Contains("read everything", await page.TextContentAsync("#scopes") ?? string.Empty, StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "move-in-3-old-server.png"), FullPage = true });
        await page.ClickAsync("#allow");

        await page.WaitForUrlAsync(url => url.Contains("/account/move-in?job=", StringComparison.Ordinal));
        await page.WaitForSelectorAsync("#movein-report", new PageWaitForSelectorOptions { Timeout = 60_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "move-in-4-report.png"), FullPage = true });
        Assert.Equal("12", await page.TextContentAsync("#copied"));
        Assert.Equal("0", await page.TextContentAsync("#refused"));

        // The browser asked the old server for a code with an S256 challenge and brought the
        // code back in the query; the token endpoint was called by our server, not the browser.
        var oldOrigin = "http://localhost:" + source.Server.InProcessAddress.Port;
        var authorize = requests.Where(u => u.StartsWith(oldOrigin + "/oauth/authorize?", StringComparison.Ordinal))
            .Select(u => QueryHelpers.ParseQuery(new Uri(u).Query)).ToList();
        Assert.NotEmpty(authorize);
        Assert.All(authorize, q =>
        {
            Assert.Equal("code", q["response_type"].ToString());
            Assert.Equal("S256", q["code_challenge_method"].ToString());
            Assert.Matches("^[A-Za-z0-9_-]{43}$", q["code_challenge"].ToString());
            Assert.False(q.ContainsKey("code_verifier"));
        });
        var callback = Assert.Single(requests, u => u.StartsWith(server.BaseAddress + "account/move-in/callback", StringComparison.Ordinal));
        var answer = QueryHelpers.ParseQuery(new Uri(callback).Query);
        Assert.NotEmpty(answer["code"].ToString());
        Assert.Equal(authorize[0]["state"].ToString(), answer["state"].ToString());
        Assert.DoesNotContain("access_token", callback, StringComparison.Ordinal);
        Assert.DoesNotContain(requests, u => u.Contains("/oauth/token", StringComparison.Ordinal));

        await using (var scope = server.CreateScope())
        {
            var job = await ServerFixture.Db(scope).MoveInJobs.AsNoTracking().SingleAsync(j => j.UserName == user);
            Assert.Equal((MoveInState.Done, 12, 0, (string?)null), (job.State, job.Copied, job.Skipped, job.ProtectedToken));
        }

        var reader = server.Tokens.Issue(user, "*:r");
        for (var i = 0; i < 12; i++)
        {
            using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/n{i}.txt").WithToken(reader));
            Assert.Equal("note " + i, await response.Content.ReadAsStringAsync());
        }
    }
}
