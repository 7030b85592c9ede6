using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.E2E;

/// <summary>
/// End to end with a real client: a small unhosted app on the real remotestorage.js (npm), served
/// from its own origin, in headless Chromium. It discovers the server by WebFinger from the user
/// address (user@127.0.0.1:port, plain http on loopback), sends the user to our /login and consent
/// pages, and then reads and writes through the library. Results are checked on the server side
/// and from the statuses the library hands to the page.
/// </summary>
public abstract class RemoteStorageJsTests(ServerFixture server, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Password = "correct horse battery staple 42";
    // Generous: on 2 shared cores under the full suite a redirect chain can take many seconds.
    private const float Timeout = 90_000;

    public static TheoryData<string> Versions => new(RsJs.All.Select(v => v.Version));

    [Theory]
    [MemberData(nameof(Versions))]
    public Task An_app_connects_through_login_and_consent_and_stores_reads_lists_and_deletes_documents(string version) => WithBrowserLogAsync(async () =>
    {
        var rsjs = RsJs.ByVersion(version);
        var user = await CreateUserWithPasswordAsync();
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenAppAsync(page, rsjs);

        await ConnectAsync(page, user, expectLogin: true);
        Assert.Equal(new Uri(server.BaseAddress, $"/storage/{user}").ToString().TrimEnd('/'), await page.EvaluateAsync<string>("() => app.storageHref()"));

        // Text and JSON through the scope client; binary through the remote.
        await page.EvaluateAsync("() => app.storeText('hello.txt', 'Hello, wörld')");
        await page.EvaluateAsync("() => app.storeNote('first.json', { title: 'First', tags: ['a', 'b'] })");
        var bytes = new byte[] { 0, 1, 2, 127, 128, 200, 254, 255, 13, 10 };
        JsonElement putBinary = default;
        var binaryRequest = await page.RunAndWaitForRequestAsync(
            async () => putBinary = await page.EvaluateAsync<JsonElement>("b => app.putBytes('/notes/blob.bin', b, 'application/octet-stream')", bytes.Select(b => (int)b).ToArray()),
            r => r.Method == "PUT" && r.Url.EndsWith("/notes/blob.bin", StringComparison.Ordinal));
        Assert.Equal(201, putBinary.GetProperty("statusCode").GetInt32());

        // 1.x marks binary bodies "; charset=binary", 2.0 does not; the server keeps what was sent.
        var sentBinaryType = await binaryRequest.HeaderValueAsync("content-type");
        Assert.StartsWith("application/octet-stream", sentBinaryType, StringComparison.Ordinal);

        var token = await server.Tokens.IssueAsync(user, "notes:r");
        var (textStatus, textType, textBody) = await ServerGetAsync(user, "notes/hello.txt", token);
        Assert.Equal(HttpStatusCode.OK, textStatus);
        Assert.StartsWith("text/plain", textType, StringComparison.Ordinal);
        Assert.Equal("Hello, wörld", Encoding.UTF8.GetString(textBody));

        var (jsonStatus, jsonType, jsonBody) = await ServerGetAsync(user, "notes/first.json", token);
        Assert.Equal(HttpStatusCode.OK, jsonStatus);
        Assert.StartsWith("application/json", jsonType, StringComparison.Ordinal);
        using (var stored = JsonDocument.Parse(jsonBody))
        {
            Assert.Equal("First", stored.RootElement.GetProperty("title").GetString());
            Assert.Equal(["a", "b"], stored.RootElement.GetProperty("tags").EnumerateArray().Select(e => e.GetString()));
        }

        var (binStatus, binType, binBody) = await ServerGetAsync(user, "notes/blob.bin", token);
        Assert.Equal(HttpStatusCode.OK, binStatus);
        Assert.Equal(sentBinaryType, binType);
        Assert.Equal(bytes, binBody);

        // Reads back through the library.
        var text = await page.EvaluateAsync<JsonElement>("() => app.getText('hello.txt')");
        Assert.Equal("Hello, wörld", text.GetProperty("body").GetString());
        Assert.StartsWith("text/plain", text.GetProperty("contentType").GetString(), StringComparison.Ordinal);
        var note = await page.EvaluateAsync<JsonElement>("() => app.getNote('first.json')");
        Assert.Equal("First", note.GetProperty("title").GetString());
        var binary = await page.EvaluateAsync<JsonElement>("() => app.get('/notes/blob.bin')");
        Assert.Equal(200, binary.GetProperty("statusCode").GetInt32());
        if (rsjs == RsJs.Beta)
        {
            // Client bug in 2.0.0-beta.10: WireClient tests its binary heuristic on the ArrayBuffer
            // instead of the text and, with no "charset=binary", decodes any body as UTF-8. So the
            // bytes the server sent are checked as the browser received them, with the app's token.
            var raw = await page.EvaluateAsync<JsonElement>("url => app.fetchBytes(url)", new Uri(server.BaseAddress, $"/storage/{user}/notes/blob.bin").ToString());
            Assert.Equal(200, raw.GetProperty("status").GetInt32());
            Assert.Equal(bytes, raw.GetProperty("bytes").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray());
        }
        else
        {
            Assert.True(binary.TryGetProperty("bytes", out _), "binary body came back as " + binary);
            Assert.Equal(bytes, binary.GetProperty("bytes").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray());
        }

        Assert.Equal(["blob.bin", "first.json", "hello.txt"], await ListingAsync(page));

        // Conflict: another device changes the document; the app's conditional write with its
        // stale ETag gets 412 and changes nothing (draft-26 §5, If-Match).
        var stale = text.GetProperty("revision").GetString();
        Assert.False(string.IsNullOrEmpty(stale));
        var writer = await server.Tokens.IssueAsync(user, "notes:rw");
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/hello.txt") { Content = new StringContent("from another device") }.WithToken(writer))
        using (var response = await server.Client.SendAsync(put))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var conflict = await page.EvaluateAsync<JsonElement>("rev => app.put('/notes/hello.txt', 'stale edit', 'text/plain', { ifMatch: rev })", stale);
        Assert.Equal(412, conflict.GetProperty("statusCode").GetInt32());
        Assert.Equal("from another device", Encoding.UTF8.GetString((await ServerGetAsync(user, "notes/hello.txt", token)).Body));
        var fresh = await page.EvaluateAsync<JsonElement>("() => app.get('/notes/hello.txt')");
        Assert.Equal("from another device", fresh.GetProperty("body").GetString());
        var retry = await page.EvaluateAsync<JsonElement>("rev => app.put('/notes/hello.txt', 'merged edit', 'text/plain', { ifMatch: rev })", fresh.GetProperty("revision").GetString());
        Assert.Equal(200, retry.GetProperty("statusCode").GetInt32());
        Assert.Equal("merged edit", Encoding.UTF8.GetString((await ServerGetAsync(user, "notes/hello.txt", token)).Body));

        // Public documents: anyone reads them without a token (draft-26 §4).
        var publicPut = await page.EvaluateAsync<JsonElement>("() => app.put('/public/notes/shared.txt', 'for everyone', 'text/plain')");
        Assert.Equal(201, publicPut.GetProperty("statusCode").GetInt32());
        var publicUrl = new Uri(server.BaseAddress, $"/storage/{user}/public/notes/shared.txt").ToString();
        var anonymous = await page.EvaluateAsync<JsonElement>("url => app.fetchPublic(url)", publicUrl);
        Assert.Equal(200, anonymous.GetProperty("status").GetInt32());
        Assert.Equal("for everyone", anonymous.GetProperty("body").GetString());
        var privateUrl = new Uri(server.BaseAddress, $"/storage/{user}/notes/first.json").ToString();
        Assert.Equal(401, (await page.EvaluateAsync<JsonElement>("url => app.fetchPublic(url)", privateUrl)).GetProperty("status").GetInt32());

        // Delete.
        await page.EvaluateAsync("() => app.remove('hello.txt')");
        Assert.Equal(HttpStatusCode.NotFound, (await ServerGetAsync(user, "notes/hello.txt", token)).Status);
        Assert.Equal(["blob.bin", "first.json"], await ListingAsync(page));
        Assert.Equal(404, (await page.EvaluateAsync<JsonElement>("() => app.get('/notes/hello.txt')")).GetProperty("statusCode").GetInt32());

        Assert.DoesNotContain(await EventsAsync(page), e => e == "error");
    });

    [Theory]
    [MemberData(nameof(Versions))]
    public Task A_revoked_app_gets_401_and_works_again_after_the_user_consents_again(string version) => WithBrowserLogAsync(async () =>
    {
        var rsjs = RsJs.ByVersion(version);
        var user = await CreateUserWithPasswordAsync();
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenAppAsync(page, rsjs);
        await ConnectAsync(page, user, expectLogin: true);

        await page.EvaluateAsync("() => app.storeText('kept.txt', 'still here')");
        var oldToken = await page.EvaluateAsync<string>("() => app.token()");

        // The user revokes the app (as the account page's Revoke button does).
        await using (var scope = server.CreateScope())
        {
            var grants = scope.ServiceProvider.GetRequiredService<Grants>();
            var listed = await grants.ListAsync(user, CancellationToken.None);
            var appGrant = Assert.Single(listed);
            Assert.Equal(browser.App.Origin.ToString().TrimEnd('/'), appGrant.Origin);
            Assert.Equal(1, await grants.RevokeAsync(user, appGrant.Origin, CancellationToken.None));
        }

        var denied = await page.EvaluateAsync<JsonElement>("() => app.get('/notes/kept.txt')");
        Assert.Equal(401, denied.GetProperty("statusCode").GetInt32());
        await page.WaitForFunctionAsync("() => app.state.events.some(e => e.type === 'error' && e.name === 'Unauthorized')", null, new() { Timeout = Timeout });
        Assert.Equal(HttpStatusCode.Unauthorized, (await ServerGetAsync(user, "notes/kept.txt", oldToken)).Status);

        // Reconnect: still logged in, so no login page, but the consent page must ask again.
        await page.EvaluateAsync("() => { app.state.connected = false; setTimeout(() => app.reconnect(), 0); }");
        await AllowOnConsentPageAsync(page);
        await WaitConnectedAsync(page);

        var newToken = await page.EvaluateAsync<string>("() => app.token()");
        Assert.NotEqual(oldToken, newToken);
        var again = await page.EvaluateAsync<JsonElement>("() => app.getText('kept.txt')");
        Assert.Equal("still here", again.GetProperty("body").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await ServerGetAsync(user, "notes/kept.txt", oldToken)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ServerGetAsync(user, "notes/kept.txt", newToken)).Status);
    });

    private async Task WithBrowserLogAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            output.WriteLine(BrowserLog);
            throw;
        }
    }

    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await browser.Browser.NewContextAsync();
        context.SetDefaultTimeout(Timeout);
        context.Page += (_, page) =>
        {
            page.Console += (_, m) => Log($"console.{m.Type}: {m.Text}");
            page.PageError += (_, e) => Log("page error: " + e);
            page.RequestFailed += (_, r) => Log($"request failed: {r.Method} {r.Url} {r.Failure}");
            page.Response += async (_, r) =>
            {
                Log($"{r.Request.Method} {r.Url} -> {r.Status}");
                if (r.Status >= 400 && r.Url.StartsWith(server.BaseAddress.ToString(), StringComparison.Ordinal))
                {
                    try
                    {
                        Log("  body: " + await r.TextAsync());
                    }
                    catch (PlaywrightException)
                    {
                    }
                }
            };
            page.FrameNavigated += (_, f) => Log("navigated: " + f.Url);
        };
        return context;
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    private void Log(string line) => _log.Enqueue(line);

    /// <summary>What the browser saw, for failure messages.</summary>
    protected string BrowserLog => string.Join(Environment.NewLine, _log);

    private async Task OpenAppAsync(IPage page, RsJs rsjs)
    {
        await page.GotoAsync(browser.App.PageFor(rsjs).ToString());
        await page.WaitForFunctionAsync("() => window.app && window.app.state.ready", null, new() { Timeout = Timeout });
    }

    private async Task ConnectAsync(IPage page, string user, bool expectLogin)
    {
        var address = $"{user}@127.0.0.1:{server.BaseAddress.Port}";

        // connect() navigates away (WebFinger, then the authorization page): start it after evaluate returns.
        await page.EvaluateAsync("a => { setTimeout(() => app.connect(a), 0); }", address);
        if (expectLogin)
        {
            await WaitForPageAsync(page, "/login", "#login");
            await page.FillAsync("#UserName", user);
            await page.FillAsync("#Password", Password);
            await page.ClickAsync("#login");
        }

        await AllowOnConsentPageAsync(page);
        await WaitConnectedAsync(page);
    }

    /// <summary>
    /// Waits until the page is at one of the server's pages and shows <paramref name="selector"/>.
    /// Not WaitForURLAsync: when the app navigates by script (reconnect), the navigation can commit
    /// between its URL check and its listening for the load event, and it then waits for a load
    /// that already happened (seen as a 90 s timeout on a consent page that had loaded).
    /// </summary>
    private async Task WaitForPageAsync(IPage page, string path, string selector)
    {
        await WaitForUrlAsync(page, new Uri(server.BaseAddress, path).ToString());
        await page.Locator(selector).WaitForAsync(new() { Timeout = Timeout });
    }

    /// <summary>Polls the page's URL until it starts with <paramref name="prefix"/>: a state,
    /// read again and again, so a navigation that committed at any moment is seen.</summary>
    private static async Task WaitForUrlAsync(IPage page, string prefix)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(Timeout);
        while (!page.Url.StartsWith(prefix, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the browser did not reach {prefix}; it is at {page.Url}");
            await Task.Delay(20);
        }
    }

    private async Task AllowOnConsentPageAsync(IPage page)
    {
        await WaitForPageAsync(page, "/oauth/authorize", "#allow");
        Assert.Equal(browser.App.Origin.ToString().TrimEnd('/'), await page.TextContentAsync("#app-origin"));
        Assert.Contains("notes", await page.TextContentAsync("#scopes"), StringComparison.Ordinal);
        await page.ClickAsync("#allow");
    }

    /// <summary>
    /// Waits until the browser is back at the app (the consent form's redirect) and the library
    /// has said it is connected. Not WaitForURLAsync either: it reads the URL, and only then starts
    /// listening for the navigation to the app (or, when already there, for its load event), so a
    /// redirect that commits in between is never seen (a 90 s timeout here, on an app that had
    /// connected). Both steps wait for states, polled: the URL, then the app's own flag, which
    /// the page's 'connected' handler sets (WaitForFunctionAsync polls in the page, across
    /// navigations).
    /// </summary>
    private async Task WaitConnectedAsync(IPage page)
    {
        await WaitForUrlAsync(page, browser.App.Origin.ToString());
        await page.WaitForFunctionAsync("() => window.app && window.app.state.connected", null, new() { Timeout = Timeout });
    }

    private async Task<string> CreateUserWithPasswordAsync()
    {
        var user = ServerFixture.NewUser();
        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        var result = await users.CreateAsync(new UserAccount { UserName = user, CreatedUtc = DateTime.UtcNow }, Password);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        return user;
    }

    private async Task<(HttpStatusCode Status, string? ContentType, byte[] Body)> ServerGetAsync(string user, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<string[]> ListingAsync(IPage page) =>
        (await page.EvaluateAsync<string[]>("() => app.listing('').then(l => Object.keys(l))")).Order(StringComparer.Ordinal).ToArray();

    private static async Task<string[]> EventsAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("() => app.state.events.map(e => e.type)");
}

[Collection(BrowserCollection.Name)]
public sealed class RemoteStorageJsTests_Sqlite(SqliteServerFixture server, BrowserFixture browser, ITestOutputHelper output) : RemoteStorageJsTests(server, browser, output), IClassFixture<SqliteServerFixture>;

[Collection(BrowserCollection.Name)]
public sealed class RemoteStorageJsTests_Postgres(PostgresServerFixture server, BrowserFixture browser, ITestOutputHelper output) : RemoteStorageJsTests(server, browser, output), IClassFixture<PostgresServerFixture>;
