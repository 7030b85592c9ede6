using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Accounts.HistoryPageHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>
/// "Restore this folder as of…" over HTTP: the time as typed in the browser's zone, the preview's
/// counts and lists, the confirmation that plans again and applies, and plain words for a bad
/// folder or time.
/// </summary>
public abstract class HistoryPageFolderRestoreTests(ServerFixture server)
{
    private static readonly byte[] Note = Encoding.UTF8.GetBytes("a note long enough to live in the blob store\n");

    [Fact]
    public async Task The_folder_restore_preview_counts_the_changes_and_the_confirmation_applies_them()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutTextAsync(server, user, token, "/notes/keep.txt", "untouched");
        await PutTextAsync(server, user, token, "/notes/change.txt", "the original text of change.txt", "text/plain");
        await PutAsync(server, user, token, "/notes/gone.bin", Note, "application/octet-stream");
        await PutTextAsync(server, user, token, "/notes/sub/deep.json", "{\"v\":1}", "application/json");
        await PutTextAsync(server, user, token, "/outside.txt", "not in the folder");
        var moment = await MomentBetweenAsync();

        await PutTextAsync(server, user, token, "/notes/change.txt", "changed by the app", "text/markdown");
        await AppDeleteAsync(server, user, token, "/notes/gone.bin");
        await PutTextAsync(server, user, token, "/notes/new.txt", "created after");
        await PutTextAsync(server, user, token, "/notes/sub/deep.json", "{\"v\":2}", "application/json");

        // The moment as typed in a browser two hours east of UTC: the offset is taken into account.
        var query = "/account/history/restore?path=notes&asOf=" + Local(moment, 120) + "&offset=120&zone=Test%2FZone";
        var preview = await browser.GetPageAsync(query);
        Assert.Equal("3", TextOf(preview, "count-restore"));
        Assert.Equal("1", TextOf(preview, "count-delete"));
        Assert.Equal("1", TextOf(preview, "count-unchanged"));
        var restoring = Html.Element(preview, "id=\"to-restore\"", "</ul>")!;
        Assert.Contains("data-path=\"/notes/change.txt\"", restoring, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/notes/gone.bin\"", restoring, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/notes/sub/deep.json\"", restoring, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/notes/new.txt\"", Html.Element(preview, "id=\"to-delete\"", "</ul>")!, StringComparison.Ordinal);
        Assert.Contains("Test/Zone, UTC+02:00", Html.Text(preview), StringComparison.Ordinal);
        Assert.Contains(UnhostedStore.Pages.Account.History.HistoryText.Exact(moment), preview, StringComparison.Ordinal);

        // The preview changed nothing.
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(server, user, token, "/notes/new.txt")).Status);

        using (var confirmed = await browser.SubmitAsync(preview, "id=\"confirm-form\""))
        {
            var report = await confirmed.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
            Assert.Equal("3", TextOf(report, "restored"));
            Assert.Equal("1", TextOf(report, "deleted"));
            Assert.Equal("1", TextOf(report, "unchanged"));
            Assert.Equal("0", TextOf(report, "failed"));
        }

        await AssertStoredAsync(server, user, token, "/notes/change.txt", Encoding.UTF8.GetBytes("the original text of change.txt"), "text/plain");
        await AssertStoredAsync(server, user, token, "/notes/gone.bin", Note, "application/octet-stream");
        await AssertStoredAsync(server, user, token, "/notes/sub/deep.json", Encoding.UTF8.GetBytes("{\"v\":1}"), "application/json");
        await AssertStoredAsync(server, user, token, "/notes/keep.txt", Encoding.UTF8.GetBytes("untouched"), "text/plain; charset=utf-8");
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(server, user, token, "/notes/new.txt")).Status);
        await AssertStoredAsync(server, user, token, "/outside.txt", Encoding.UTF8.GetBytes("not in the folder"), "text/plain; charset=utf-8");

        // The document the restore deleted is in the trash, deleted by the account page.
        var trash = await browser.GetPageAsync("/account/history");
        Assert.Contains("account page", Html.Element(trash, "data-path=\"/notes/new.txt\"", "</li>")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_folder_restore_says_in_words_what_is_wrong_with_a_folder_or_a_time()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var past = Local(DateTime.UtcNow.AddMinutes(-5), 0);

        var form = await browser.GetPageAsync("/account/history/restore?path=%2Fnotes%2F");
        Assert.Contains("type=\"datetime-local\"", form, StringComparison.Ordinal);
        Assert.Contains("<label for=\"restore-as-of\">", form, StringComparison.Ordinal);
        Assert.Contains("<label for=\"restore-path\">", form, StringComparison.Ordinal);
        Assert.Contains("value=\"/notes/\"", form, StringComparison.Ordinal);

        var nothing = await browser.GetPageAsync("/account/history/restore?path=%2Fnothing%2F&asOf=" + past);
        Assert.Contains("Nothing was found at /nothing/ for that time.", nothing, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"confirm-form\"", nothing, StringComparison.Ordinal);

        async Task RefusedAsync(string query, string words)
        {
            using var response = await browser.GetAsync("/account/history/restore?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(words, Html.Text(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        await RefusedAsync("path=%2Fa%2F%2Fb%2F&asOf=" + past, "two / in a row");
        await RefusedAsync("path=%2Fnotes%2F&asOf=" + Local(DateTime.UtcNow.AddHours(2), 0), "That time is in the future.");
        await RefusedAsync("path=%2Fnotes%2F&asOf=" + Local(DateTime.UtcNow.AddDays(-40), 0), "History goes back 30 days");
        await RefusedAsync("path=%2Fnotes%2F&asOf=yesterday", "Choose a date and a time.");
        await RefusedAsync("path=%2Fnotes%2F&asOf=" + past + "&offset=99999", "time zone");

        using var document = await browser.GetAsync("/account/history/document?path=%2Fnotes%2F");
        Assert.Equal(HttpStatusCode.BadRequest, document.StatusCode);
        Assert.Contains("is a folder", Html.Text(await document.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        using var unknown = await browser.GetAsync("/account/history/document?path=%2Fnotes%2Fnever.txt");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Nothing was found at /notes/never.txt", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

public sealed class HistoryPageFolderRestoreSqliteTests(SqliteServerFixture server) : HistoryPageFolderRestoreTests(server), IClassFixture<SqliteServerFixture>;

public sealed class HistoryPageFolderRestorePostgresTests(PostgresServerFixture server) : HistoryPageFolderRestoreTests(server), IClassFixture<PostgresServerFixture>;

public sealed class HistoryPageFolderRestorePostgresS3Tests(PostgresS3ServerFixture server) : HistoryPageFolderRestoreTests(server), IClassFixture<PostgresS3ServerFixture>;
