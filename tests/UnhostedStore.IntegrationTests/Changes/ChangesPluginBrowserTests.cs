using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Changes;

/// <summary>
/// The change-stream plugin (wwwroot/js/remotestorage-changes.js) with the real remotestorage.js
/// in Chromium: two browser profiles run the same caching notes app, served from its own origin,
/// with the plugin loaded from the server. A note written in one appears in the other's cache
/// within two seconds, although the plugin has slowed the library's polling to five minutes, and
/// the wire log shows that no folder was polled meanwhile: the stream did it.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ChangesPluginBrowserTests(ChangesSqliteFixture server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<ChangesSqliteFixture>
{
    private const float Timeout = 60_000;
    private readonly ConcurrentQueue<string> _log = new();

    [Fact]
    public async Task A_note_written_in_one_browser_appears_in_the_other_within_two_seconds_without_folder_polling()
    {
        await using var app = await NotesApp.StartAsync(new Uri(server.BaseAddress, "/js/remotestorage-changes.js"));
        var user = ServerFixture.NewUser();
        var settings = await SettingsAsync(user);
        var wire = new ConcurrentQueue<(DateTime At, string Method, string Url, string? Accept)>();
        try
        {
            await using var writerContext = await NewContextAsync("A", wire);
            await using var readerContext = await NewContextAsync("B", wire);
            var writer = await OpenAsync(writerContext, app, settings);
            var reader = await OpenAsync(readerContext, app, settings);

            // The plugin found the property, opened its streams and slowed polling to minutes.
            foreach (var page in new[] { writer, reader })
            {
                await page.WaitForFunctionAsync("() => app.openStreams() === 2 && app.state.syncs > 0", null, new() { Timeout = Timeout });
                Assert.Equal(300_000, await page.EvaluateAsync<int>("() => app.syncInterval()"));
            }

            var start = DateTime.UtcNow;
            var watch = Stopwatch.StartNew();
            await writer.EvaluateAsync("() => app.store('groceries', 'milk, bread')");
            await reader.WaitForFunctionAsync(
                "() => app.state.changes.some(c => c.path === 'groceries' && c.origin === 'remote')", null, new() { Timeout = 10_000 });
            var elapsed = watch.Elapsed;
            Assert.Equal("milk, bread", await reader.EvaluateAsync<string>("() => app.local('groceries')"));
            Assert.True(elapsed < TimeSpan.FromSeconds(2), $"the note took {elapsed} to arrive");

            // Between the write and its arrival: the writer's PUT and the reader's GET of the
            // document, and no folder GET by either (stream requests aside).
            var between = wire.Where(w => w.At >= start && w.Url.Contains("/storage/", StringComparison.Ordinal)).ToList();
            Assert.Contains(between, w => w.Method == "PUT" && w.Url.EndsWith("/notes/groceries", StringComparison.Ordinal));
            Assert.Contains(between, w => w.Method == "GET" && w.Url.EndsWith("/notes/groceries", StringComparison.Ordinal));
            var polls = between.Where(w => w.Method == "GET" && w.Url.EndsWith('/') && w.Accept != "text/event-stream").ToList();
            Assert.True(polls.Count == 0, "folders were polled: " + string.Join(", ", polls.Select(p => p.Url)));

            await writer.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "changes-plugin-writer.png") });
        }
        catch
        {
            output.WriteLine(string.Join(Environment.NewLine, _log));
            throw;
        }
    }

    /// <summary>What rs.js would have after discovery and the OAuth dance: the storage root, the
    /// WebFinger link properties and a token (minted like the CLI's, for the notes scope).</summary>
    private async Task<object> SettingsAsync(string user)
    {
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        using var response = await server.Client.GetAsync($"/.well-known/webfinger?resource=acct:{user}@{server.BaseAddress.Authority}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var link = json.RootElement.GetProperty("links")[0];
        return new
        {
            userAddress = $"{user}@{server.BaseAddress.Authority}",
            href = link.GetProperty("href").GetString(),
            storageApi = link.GetProperty("properties").GetProperty("http://remotestorage.io/spec/version").GetString(),
            token,
            properties = JsonSerializer.Deserialize<Dictionary<string, string?>>(link.GetProperty("properties").GetRawText()),
        };
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, NotesApp app, object settings)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(app.Page.ToString());
        await page.WaitForFunctionAsync("() => window.app && window.app.state.ready", null, new() { Timeout = Timeout });
        await page.EvaluateAsync("s => app.configure(s)", settings);
        await page.WaitForFunctionAsync("() => app.state.connected", null, new() { Timeout = Timeout });
        return page;
    }

    private async Task<IBrowserContext> NewContextAsync(string name, ConcurrentQueue<(DateTime, string, string, string?)> wire)
    {
        var context = await browser.Browser.NewContextAsync();
        context.SetDefaultTimeout(Timeout);
        context.Page += (_, page) =>
        {
            page.Console += (_, m) => _log.Enqueue($"{name} console.{m.Type}: {m.Text}");
            page.PageError += (_, e) => _log.Enqueue($"{name} page error: {e}");
            page.Request += (_, r) =>
            {
                r.Headers.TryGetValue("accept", out var accept);
                wire.Enqueue((DateTime.UtcNow, r.Method, r.Url, accept));
                _log.Enqueue($"{name} {r.Method} {r.Url} (Accept: {accept})");
            };
        };
        return context;
    }

    /// <summary>The app's own static server (another origin than the storage server).</summary>
    private sealed class NotesApp : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private NotesApp(WebApplication app, Uri page)
        {
            _app = app;
            Page = page;
        }

        public Uri Page { get; }

        public static async Task<NotesApp> StartAsync(Uri plugin)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var dir = Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "UnhostedStore.IntegrationTests", "Changes", "app");
            var html = (await File.ReadAllTextAsync(Path.Combine(dir, "index.html"))).Replace("{{PLUGIN}}", plugin.ToString(), StringComparison.Ordinal);
            app.MapGet("/notes/", () => Results.Text(html, "text/html; charset=utf-8"));
            app.MapGet("/notes/app.js", () => Results.Bytes(File.ReadAllBytes(Path.Combine(dir, "app.js")), "text/javascript; charset=utf-8"));
            app.MapGet("/notes/remotestorage.js", () => Results.Bytes(File.ReadAllBytes(RsJs.Stable.ReleaseBundle), "text/javascript; charset=utf-8"));
            app.MapGet("/favicon.ico", () => Results.NotFound());
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new NotesApp(app, new Uri(new Uri(address), "/notes/"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
