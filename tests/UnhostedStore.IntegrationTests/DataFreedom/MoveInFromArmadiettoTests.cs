using System.Net;
using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>
/// Moving in from armadietto, the reference remoteStorage server, through its real WebFinger and
/// OAuth page in Chromium. Only on SQLite: it is slow, and the copy does not depend on the backend.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MoveInFromArmadiettoTests(SqliteServerFixture server, Armadietto armadietto, BrowserFixture browser)
    : IClassFixture<SqliteServerFixture>, IClassFixture<Armadietto>
{
    private const int DocumentCount = 500;
    private const string OldPassword = "armadietto-password-1";

    [Fact]
    public async Task Five_hundred_documents_move_in_from_armadietto_with_their_bytes_and_content_types()
    {
        var user = ServerFixture.NewUser();
        await armadietto.SignUpAsync(user, OldPassword);
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);

        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();

        // The token to fill armadietto comes from its own OAuth page, as any app would get it.
        var writer = await AuthorizeOnArmadiettoAsync(page, user, shots);
        var documents = Documents(user);
        using (var client = new HttpClient { BaseAddress = armadietto.BaseAddress })
        {
            foreach (var (path, type, body) in documents)
            {
                using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/{path}").WithToken(writer);
                put.Content = new ByteArrayContent(body);
                put.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                using var response = await client.SendAsync(put);
                Assert.True(response.IsSuccessStatusCode, $"armadietto answered {(int)response.StatusCode} to PUT {path}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", AccountTestHelpers.Password);
        await page.ClickAsync("#login");
        await page.WaitForUrlAsync(url => url.EndsWith("/account", StringComparison.Ordinal));
        await page.GotoAsync("/account/move-in");
        await page.FillAsync("#Address", $"{user}@127.0.0.1:{armadietto.Port}");
        await page.ClickAsync("#find");
        await page.WaitForSelectorAsync("#continue");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "armadietto-move-in-1-found.png"), FullPage = true });
        await page.ClickAsync("#continue");

        await page.WaitForUrlAsync(url => url.StartsWith($"http://127.0.0.1:{armadietto.Port}/oauth/", StringComparison.Ordinal));
        await page.FillAsync("#password", OldPassword);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "armadietto-move-in-2-oauth.png"), FullPage = true });
        await page.ClickAsync("button[name=allow]");

        await page.WaitForUrlAsync(url => url.Contains("/account/move-in?job=", StringComparison.Ordinal));
        await page.WaitForSelectorAsync("#movein-report", new PageWaitForSelectorOptions { Timeout = 300_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "armadietto-move-in-3-report.png"), FullPage = true });
        Assert.Equal(DocumentCount.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.TextContentAsync("#copied"));
        Assert.Equal("0", await page.TextContentAsync("#refused"));

        var reader = server.Tokens.Issue(user, "*:r");
        foreach (var (path, type, body) in documents)
        {
            using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{path}").WithToken(reader));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, string.Join(", ", response.Content.Headers.GetValues("Content-Type")));
            var copied = await response.Content.ReadAsByteArrayAsync();
            Assert.True(body.SequenceEqual(copied), $"the bytes of {path} differ");
        }

        // The public document stays public: readable without a token.
        using var anonymous = await server.Client.GetAsync($"/storage/{user}/public/shared/hello.txt");
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
    }

    /// <summary>Drives armadietto's OAuth page for a <c>*:rw</c> token and reads it from the redirect.</summary>
    private async Task<string> AuthorizeOnArmadiettoAsync(IPage page, string user, string shots)
    {
        // The redirect target only has to exist as a URL; the token is read from its fragment.
        var redirect = new Uri(armadietto.BaseAddress, "/token-landing").ToString();
        var query = new Dictionary<string, string>
        {
            ["client_id"] = redirect,
            ["redirect_uri"] = redirect,
            ["response_type"] = "token",
            ["scope"] = "*:rw",
            ["state"] = "fill",
        };
        var url = new Uri(armadietto.BaseAddress, $"/oauth/{user}?" + string.Join("&", query.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value))));
        await page.GotoAsync(url.ToString());
        await page.FillAsync("#password", OldPassword);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "armadietto-fill-oauth.png"), FullPage = true });
        await page.ClickAsync("button[name=allow]");
        await page.WaitForUrlAsync(u => u.Contains("access_token=", StringComparison.Ordinal));
        var fragment = new Uri(page.Url).Fragment.TrimStart('#');
        var token = fragment.Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == "access_token").Select(p => Uri.UnescapeDataString(p[1])).FirstOrDefault();
        Assert.False(string.IsNullOrEmpty(token), "armadietto redirected without a token: " + page.Url);
        return token!;
    }

    /// <summary>
    /// Text, JSON and binary documents spread over nested folders, and one public document.
    /// armadietto rewrites a folder's whole metadata file on every PUT, so no folder holds many.
    /// </summary>
    private static List<(string Path, string Type, byte[] Body)> Documents(string user)
    {
        var random = new Random(500);
        var documents = new List<(string, string, byte[])>
        {
            ("public/shared/hello.txt", "text/plain; charset=utf-8", "hello from armadietto"u8.ToArray()),
        };
        for (var i = 1; i < DocumentCount; i++)
        {
            var folder = i % 20;
            switch (i % 4)
            {
                case 0:
                    documents.Add(($"notes/n{folder}/note-{i}.txt", "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes($"note {i} of {user}: grüße ✓")));
                    break;
                case 1:
                    documents.Add(($"contacts/c{folder}/deep/er/contact-{i}.json", "application/json", System.Text.Encoding.UTF8.GetBytes($$"""{"id":{{i}},"name":"person {{i}}","tags":["a","b"]}""")));
                    break;
                case 2:
                    var bytes = new byte[random.Next(1, 40_000)];
                    random.NextBytes(bytes);
                    bytes[0] = 0xFF; // never valid UTF-8, so a text round trip would show
                    documents.Add(($"photos/p{folder}/photo-{i}.bin", "application/octet-stream", bytes));
                    break;
                default:
                    var png = new byte[random.Next(100, 5_000)];
                    random.NextBytes(png);
                    new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00 }.CopyTo(png, 0);
                    documents.Add(($"photos/p{folder}/images/image-{i}.png", "image/png", png));
                    break;
            }
        }

        return documents;
    }
}
