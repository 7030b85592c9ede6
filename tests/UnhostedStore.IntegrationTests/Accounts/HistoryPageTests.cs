using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Accounts.HistoryPageHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>
/// The safety net's pages over HTTP: the trash (restore, delete for good after a confirmation),
/// a document's history (download as a sandboxed attachment, compare, restore), and that all
/// of it is the logged-in person's only, behind a login and antiforgery tokens.
/// </summary>
public abstract class HistoryPageTests(ServerFixture server)
{
    private const string App = "https://tests.example";

    private static readonly byte[] Note = Encoding.UTF8.GetBytes("a note long enough to live in the blob store\n");

    [Fact]
    public async Task The_trash_lists_a_deleted_document_and_restore_brings_back_its_bytes_and_type()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw", "bookmarks:rw");
        await PutAsync(server, user, token, "/notes/a.txt", Note, "text/plain; charset=utf-8");
        await PutTextAsync(server, user, token, "/bookmarks/b", "tiny", "text/x-tiny");
        await AppDeleteAsync(server, user, token, "/notes/a.txt");
        await AppDeleteAsync(server, user, token, "/bookmarks/b");

        var account = await browser.GetPageAsync("/account");
        Assert.Contains("href=\"/account/history\"", account, StringComparison.Ordinal);

        var trash = await browser.GetPageAsync("/account/history");
        Assert.Contains("Documents that apps delete are kept here for 30 days", trash, StringComparison.Ordinal);
        var item = Html.Element(trash, "data-path=\"/notes/a.txt\"", "</li>");
        Assert.NotNull(item);
        Assert.Contains(App, item, StringComparison.Ordinal);
        Assert.Contains("just now", item, StringComparison.Ordinal);
        Assert.Contains("<time datetime=\"" + DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), item, StringComparison.Ordinal);
        Assert.Contains($"{Note.Length} bytes", item, StringComparison.Ordinal);
        Assert.Contains("href=\"/account/history/document?path=%2Fnotes%2Fa.txt\"", item, StringComparison.Ordinal);

        // Grouped by module with a heading per folder, and the module filter narrows it.
        Assert.Contains("<span class=\"origin\">/notes/</span>", trash, StringComparison.Ordinal);
        Assert.Contains("<span class=\"origin\">/bookmarks/</span>", trash, StringComparison.Ordinal);
        var notesOnly = await browser.GetPageAsync("/account/history?module=notes");
        Assert.Contains("data-path=\"/notes/a.txt\"", notesOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("data-path=\"/bookmarks/b\"", notesOnly, StringComparison.Ordinal);

        using (var restored = await browser.SubmitAsync(trash, "aria-label=\"Restore /notes/a.txt\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, restored.StatusCode);
        }

        var after = await browser.GetPageAsync("/account/history");
        Assert.Contains("Restored /notes/a.txt", after, StringComparison.Ordinal);
        Assert.DoesNotContain("data-path=\"/notes/a.txt\"", after, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/bookmarks/b\"", after, StringComparison.Ordinal);
        await AssertStoredAsync(server, user, token, "/notes/a.txt", Note, "text/plain; charset=utf-8");

        using (var inline = await browser.SubmitAsync(after, "aria-label=\"Restore /bookmarks/b\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, inline.StatusCode);
        }

        await AssertStoredAsync(server, user, token, "/bookmarks/b", Encoding.UTF8.GetBytes("tiny"), "text/x-tiny");
    }

    [Fact]
    public async Task Delete_for_good_asks_first_then_removes_the_document_and_its_versions()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutTextAsync(server, user, token, "/notes/old.txt", "first version of the document");
        await PutTextAsync(server, user, token, "/notes/old.txt", "second version of the document");
        await AppDeleteAsync(server, user, token, "/notes/old.txt");
        Assert.Equal(2, (await VersionIdsAsync(server, user, "/notes/old.txt")).Count);

        var trash = await browser.GetPageAsync("/account/history");
        var link = Html.Attribute(Html.Element(trash, "aria-label=\"Delete /notes/old.txt for good\"", "</a>")!, "href")!;
        var confirm = await browser.GetPageAsync(link);
        var card = Html.Element(confirm, "id=\"confirm-forget\"", "</section>")!;
        Assert.Contains("It is removed from the trash with its older version,", card, StringComparison.Ordinal);
        Assert.Contains("nobody can bring it back", card, StringComparison.Ordinal);

        // Looking at the confirmation deleted nothing.
        Assert.Equal(2, (await VersionIdsAsync(server, user, "/notes/old.txt")).Count);

        using (var deleted = await browser.SubmitAsync(confirm, "id=\"forget\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        }

        var after = await browser.GetPageAsync("/account/history");
        Assert.Contains("Deleted /notes/old.txt for good (2 versions", after, StringComparison.Ordinal);
        Assert.DoesNotContain("data-path=\"/notes/old.txt\"", after, StringComparison.Ordinal);
        Assert.Contains("id=\"trash-empty\"", after, StringComparison.Ordinal);
        Assert.Empty(await VersionIdsAsync(server, user, "/notes/old.txt"));

        // A path not in the trash is said so, in words.
        using var missing = await browser.GetAsync("/account/history?forget=%2Fnotes%2Fold.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("/notes/old.txt is not in the trash", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_download_is_a_sandboxed_attachment_with_the_stored_bytes()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var html = Encoding.UTF8.GetBytes("<html><script>document.title = 'ran'</script></html>");
        await PutAsync(server, user, token, "/notes/page.html", html, "text/html");
        await PutTextAsync(server, user, token, "/notes/page.html", "<p>now plain</p>", "text/html");

        var history = await browser.GetPageAsync("/account/history/document?path=%2Fnotes%2Fpage.html");
        var id = (await VersionIdsAsync(server, user, "/notes/page.html")).Single();
        var item = Html.Element(history, $"data-version=\"{id}\"", "</li>")!;
        var download = Html.Attribute(Html.Element(item, "Download", "</a>")!, "href")!;

        using var response = await browser.GetAsync(download);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(html, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("page.html", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("sandbox", csp.Split(';').Select(d => d.Trim()));
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        // The current version downloads the same way.
        using var current = await browser.GetAsync("/account/history/document?handler=download&path=%2Fnotes%2Fpage.html");
        Assert.Equal("<p>now plain</p>", await current.Content.ReadAsStringAsync());
        Assert.Equal("attachment", current.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("sandbox", current.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        // Pages keep their usual policy, without the sandbox.
        using var page = await browser.GetAsync("/account/history/document?path=%2Fnotes%2Fpage.html");
        Assert.DoesNotContain("sandbox", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_with_current_shows_the_changed_lines_of_formatted_json_and_is_not_offered_for_binary()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutTextAsync(server, user, token, "/notes/list.json", "{\"title\":\"groceries\",\"items\":[\"milk\",\"eggs\"]}", "application/json");
        await PutTextAsync(server, user, token, "/notes/list.json", "{\"title\":\"shopping\",\"items\":[\"milk\",\"eggs\"]}", "application/json");
        await PutAsync(server, user, token, "/notes/pic.png", [0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], "image/png");
        await PutAsync(server, user, token, "/notes/pic.png", [0x89, 0x50, 0x4E, 0x47, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9], "image/png");

        var history = await browser.GetPageAsync("/account/history/document?path=%2Fnotes%2Flist.json");
        Assert.Contains("id=\"current-version\"", history, StringComparison.Ordinal);
        Assert.Contains(App, history, StringComparison.Ordinal);
        var compare = Html.Attribute(Html.Element(history, "Compare the version of", "</a>")!, "href")!;

        var diff = await browser.GetPageAsync(compare);
        var list = Html.Element(diff, "id=\"diff\"", "</ol>")!;
        Assert.Contains("data-kind=\"removed\"", list, StringComparison.Ordinal);
        var removed = Html.Element(list, "data-kind=\"removed\"", "</li>")!;
        var added = Html.Element(list, "data-kind=\"added\"", "</li>")!;
        Assert.Contains(Html.Text("<code>  &quot;title&quot;: &quot;groceries&quot;,</code>"), Html.Text(removed), StringComparison.Ordinal);
        Assert.Contains(Html.Text("<code>  &quot;title&quot;: &quot;shopping&quot;,</code>"), Html.Text(added), StringComparison.Ordinal);
        Assert.Contains("Removed: ", removed, StringComparison.Ordinal);
        Assert.Contains("Added: ", added, StringComparison.Ordinal);
        Assert.Contains("<span class=\"marker\" aria-hidden=\"true\">−</span>", Html.Text(removed), StringComparison.Ordinal);
        Assert.Contains("<span class=\"marker\" aria-hidden=\"true\">+</span>", Html.Text(added), StringComparison.Ordinal);
        Assert.Single(list.Split("data-kind=\"removed\"")[1..]);
        Assert.Single(list.Split("data-kind=\"added\"")[1..]);
        Assert.Contains("1 line removed", TextOf(diff, "compare-summary", "</p>"), StringComparison.Ordinal);

        var binary = await browser.GetPageAsync("/account/history/document?path=%2Fnotes%2Fpic.png");
        Assert.Contains("data-version=", binary, StringComparison.Ordinal);
        Assert.DoesNotContain("Compare with current", binary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restoring_a_version_on_the_document_page_makes_it_current_and_keeps_the_replaced_one()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutTextAsync(server, user, token, "/notes/draft.md", "# first draft\n", "text/markdown");
        await PutTextAsync(server, user, token, "/notes/draft.md", "# second draft\n", "text/markdown; charset=utf-8");
        var id = (await VersionIdsAsync(server, user, "/notes/draft.md")).Single();

        var history = await browser.GetPageAsync("/account/history/document?path=%2Fnotes%2Fdraft.md");
        using (var restored = await browser.SubmitAsync(history, $"name=\"id\" value=\"{id}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, restored.StatusCode);
        }

        await AssertStoredAsync(server, user, token, "/notes/draft.md", Encoding.UTF8.GetBytes("# first draft\n"), "text/markdown");
        var after = await browser.GetPageAsync("/account/history/document?path=%2Fnotes%2Fdraft.md");
        Assert.Contains("Restored: that version is the current one again.", after, StringComparison.Ordinal);
        Assert.Contains("by <span class=\"app\">account page</span>", after, StringComparison.Ordinal);
        Assert.Equal(2, (await VersionIdsAsync(server, user, "/notes/draft.md")).Count);
    }

    [Fact]
    public async Task Another_persons_version_ids_and_paths_are_not_found()
    {
        var owner = ServerFixture.NewUser();
        var ownerToken = await server.Tokens.IssueAsync(owner, "notes:rw");
        await PutAsync(server, owner, ownerToken, "/notes/secret.txt", Note, "text/plain");
        await PutTextAsync(server, owner, ownerToken, "/notes/secret.txt", "changed", "text/plain");
        await AppDeleteAsync(server, owner, ownerToken, "/notes/secret.txt");
        var ids = await VersionIdsAsync(server, owner, "/notes/secret.txt");
        Assert.Equal(2, ids.Count);

        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutTextAsync(server, user, token, "/notes/secret.txt", "mine, first", "text/plain");
        await PutTextAsync(server, user, token, "/notes/secret.txt", "mine, second", "text/plain");

        foreach (var id in ids)
        {
            using (var download = await browser.GetAsync($"/account/history/document?handler=download&id={id}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
            }

            using (var compare = await browser.GetAsync($"/account/history/document?path=%2Fnotes%2Fsecret.txt&compare={id}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, compare.StatusCode);
            }

            var page = await browser.GetPageAsync("/account/history");
            using (var restore = await PostWithTokenAsync(browser, page, "/account/history?handler=restore", ("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            {
                Assert.Equal(HttpStatusCode.NotFound, restore.StatusCode);
                Assert.Contains("That version is no longer kept.", await restore.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using (var restore = await PostWithTokenAsync(browser, page, "/account/history/document?handler=restore", ("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("path", "/notes/secret.txt")))
            {
                Assert.Equal(HttpStatusCode.NotFound, restore.StatusCode);
            }
        }

        // The other person's trash is not this one's, and their document is still deleted.
        var trash = await browser.GetPageAsync("/account/history");
        Assert.DoesNotContain("secret.txt", trash, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(server, owner, ownerToken, "/notes/secret.txt")).Status);
        Assert.Equal(2, (await VersionIdsAsync(server, owner, "/notes/secret.txt")).Count);
        await AssertStoredAsync(server, user, token, "/notes/secret.txt", Encoding.UTF8.GetBytes("mine, second"), "text/plain");

        // The same path shows this person's own history only.
        var own = await browser.GetPageAsync("/account/history/document?path=%2Fnotes%2Fsecret.txt");
        Assert.Single(own.Split("data-version=\"")[1..]);
    }

    [Fact]
    public async Task Every_history_page_needs_a_login()
    {
        using var anonymous = new Browser(server);
        foreach (var path in new[]
        {
            "/account/history",
            "/account/history/document?path=%2Fnotes%2Fa",
            "/account/history/document?handler=download&id=1",
            "/account/history/restore?path=%2Fnotes%2F",
        })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location?.IsAbsoluteUri == true ? response.Headers.Location.PathAndQuery : response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_changes_nothing()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutAsync(server, user, token, "/notes/a.txt", Note, "text/plain");
        await AppDeleteAsync(server, user, token, "/notes/a.txt");
        var id = (await VersionIdsAsync(server, user, "/notes/a.txt")).Single();
        var asOf = DateTime.UtcNow.AddSeconds(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        foreach (var (path, fields) in new (string, Dictionary<string, string>)[]
        {
            ("/account/history?handler=restore", new() { ["id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            ("/account/history?handler=forget", new() { ["path"] = "/notes/a.txt" }),
            ("/account/history/document?handler=restore", new() { ["id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["path"] = "/notes/a.txt" }),
            ("/account/history/restore", new() { ["path"] = "/notes/", ["asOfUtc"] = asOf }),
        })
        {
            using var response = await browser.PostAsync(path, fields);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(server, user, token, "/notes/a.txt")).Status);
        Assert.Equal([id], await VersionIdsAsync(server, user, "/notes/a.txt"));
    }
}

public sealed class HistoryPageSqliteTests(SqliteServerFixture server) : HistoryPageTests(server), IClassFixture<SqliteServerFixture>;

public sealed class HistoryPagePostgresTests(PostgresServerFixture server) : HistoryPageTests(server), IClassFixture<PostgresServerFixture>;

public sealed class HistoryPagePostgresS3Tests(PostgresS3ServerFixture server) : HistoryPageTests(server), IClassFixture<PostgresS3ServerFixture>;
