using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.History;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Files.MoveTestHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// <c>POST /files/move</c>: cookie login and antiforgery required, only the person's own storage,
/// a redirect to the destination's folder (or JSON), and plain words when refused.
/// </summary>
public abstract class MovePageTests(ServerFixture server)
{
    private const string Page = "/files/move";

    [Fact]
    public async Task Without_login_the_page_and_the_handler_redirect_to_the_login_and_move_nothing()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/a", "a")).Status);
        using var stranger = new Browser(server);

        using (var get = await stranger.GetAsync(Page))
        {
            Assert.Equal(HttpStatusCode.Redirect, get.StatusCode);
            Assert.StartsWith("/login", LocationPath(get), StringComparison.Ordinal);
        }

        using (var post = await stranger.PostAsync(Page, [new("from", "/notes/a"), new("to", "/notes/b")]))
        {
            Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
            Assert.StartsWith("/login", LocationPath(post), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/notes/a")).Status);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_with_400_and_moves_nothing()
    {
        var (client, browser) = await LoggedInClientAsync();
        using var _ = browser;
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/a", "a")).Status);

        using var post = await browser.PostAsync(Page, [new("from", "/notes/a"), new("to", "/notes/b")]);

        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/notes/a")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/b")).Status);
    }

    [Fact]
    public async Task The_form_linked_from_the_folder_moves_into_public_redirects_to_the_new_folder_and_says_it_is_public_now()
    {
        var (client, browser) = await LoggedInClientAsync();
        using var _ = browser;
        var body = HistoryTestClient.Bytes(500, 3);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/photos/cat.jpg", body, "image/jpeg")).Status);

        var folder = await browser.GetPageAsync("/files?path=/photos/");
        Assert.Contains("href=\"/files/move?from=/photos/cat.jpg\"", folder, StringComparison.Ordinal);
        var page = await browser.GetPageAsync("/files/move?from=/photos/cat.jpg");
        Assert.Contains("<label for=\"from\">", page, StringComparison.Ordinal);
        Assert.Contains("<label for=\"to\">", page, StringComparison.Ordinal);
        Assert.Equal("/photos/cat.jpg", Html.Attribute(Html.Element(page, "id=\"from\"", ">")!, "value"));
        using var post = await browser.SubmitAsync(page, "id=\"move\"", ("from", "/photos/cat.jpg"), ("to", "public/photos/my cat.jpg"));

        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        Assert.Equal("/files?path=/public/photos/", post.Headers.Location!.OriginalString);
        var shown = WebUtility.HtmlDecode(await browser.GetPageAsync(post.Headers.Location.OriginalString));
        Assert.Contains("Moved /photos/cat.jpg to /public/photos/my cat.jpg. It is public now", shown, StringComparison.Ordinal);
        Assert.Contains("my cat.jpg", shown, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/photos/cat.jpg")).Status);
        using var anonymous = server.NewClient();
        using var open = await anonymous.GetAsync($"/storage/{client.User}/public/photos/my%20cat.jpg");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal(body, await open.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_json_caller_gets_the_report_and_refusals_in_plain_words_with_400_404_or_409()
    {
        var (client, browser) = await LoggedInClientAsync();
        using var _ = browser;
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/public/notes/a", "a")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/taken/x", "x")).Status);
        var token = AntiforgeryToken(await browser.GetPageAsync(Page));
        using var http = JsonClient(browser);

        // A folder's new name typed without the slash is still a folder; out of /public/ it is private.
        var (status, json) = await PostJsonAsync(http, token, "/public/notes/", "/notes/mine");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((1, "/public/notes/", "/notes/mine/", "/notes/", "private"), (json.GetProperty("moved").GetInt32(), json.GetProperty("from").GetString(), json.GetProperty("to").GetString(), json.GetProperty("folder").GetString(), json.GetProperty("visibility").GetString()));
        Assert.Equal("/files?path=/notes/", json.GetProperty("location").GetString());
        Assert.Contains("no longer public", json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("a", Encoding.UTF8.GetString((await client.GetAsync("/notes/mine/a")).Body));

        (string From, string To, HttpStatusCode Status, string Says)[] refusals =
        [
            ("/notes/mine/", "/notes/a/../b/", HttpStatusCode.BadRequest, "is not a path in your storage"),
            ("/notes/mine/", "/notes//b/", HttpStatusCode.BadRequest, "is not a path in your storage"),
            ("", "/notes/b/", HttpStatusCode.BadRequest, "Name a folder or a document"),
            ("/notes/mine/", "/notes/mine/deeper/", HttpStatusCode.BadRequest, "can't be moved into itself"),
            ("/notes/none", "/notes/b", HttpStatusCode.NotFound, "There is nothing at /notes/none"),
            ("/notes/mine/", "/notes/taken/", HttpStatusCode.Conflict, "There is already a folder /notes/taken/"),
        ];
        foreach (var (from, to, expected, says) in refusals)
        {
            (status, json) = await PostJsonAsync(http, token, from, to);
            Assert.True(status == expected, $"{from} → {to}: {status}");
            Assert.Contains(says, json.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, json.GetProperty("moved").GetInt32());
        }

        // The page shows a refusal in words, with its status.
        var page = await browser.GetPageAsync(Page);
        using var refused = await browser.SubmitAsync(page, "id=\"move\"", ("from", "/notes/mine/"), ("to", "/notes/a/../b/"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("is not a path in your storage", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_can_only_move_in_their_own_storage()
    {
        var bob = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await bob.PutTextAsync("/secret/doc", "bob's")).Status);
        var (alice, browser) = await LoggedInClientAsync();
        using var _ = browser;
        var page = await browser.GetPageAsync(Page);

        foreach (var from in new[] { "/secret/doc", $"/storage/{bob.User}/secret/doc", $"/{bob.User}/secret/doc" })
        {
            using var post = await browser.SubmitAsync(page, "id=\"move\"", ("from", from), ("to", "/mine/doc"));
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
            Assert.Contains("There is nothing at", WebUtility.HtmlDecode(await post.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        Assert.Equal("bob's", Encoding.UTF8.GetString((await bob.GetAsync("/secret/doc")).Body));
        Assert.Empty(await NodesAsync(server, alice.User));
    }

    private async Task<(HistoryTestClient Client, Browser Browser)> LoggedInClientAsync()
    {
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server);
        return (new HistoryTestClient(server, user, await server.Tokens.IssueAsync(user, "*:rw")), browser);
    }

    private static string LocationPath(HttpResponseMessage response) =>
        response.Headers.Location is { IsAbsoluteUri: true } absolute ? absolute.AbsolutePath : response.Headers.Location!.OriginalString;

    private static string AntiforgeryToken(string page) =>
        Html.HiddenInputs(Html.Form(page, "id=\"move\"")).Single(f => f.Name == "__RequestVerificationToken").Value;

    private HttpClient JsonClient(Browser browser)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = browser.Cookies, AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json)> PostJsonAsync(HttpClient http, string token, string from, string to)
    {
        using var response = await http.PostAsync(Page, new FormUrlEncodedContent([new("from", from), new("to", to), new("__RequestVerificationToken", token)]));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{(int)response.StatusCode}: {text}");
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class MovePageTests_Sqlite(SqliteServerFixture server) : MovePageTests(server), IClassFixture<SqliteServerFixture>;

public sealed class MovePageTests_PostgresS3(PostgresS3ServerFixture server) : MovePageTests(server), IClassFixture<PostgresS3ServerFixture>;
