using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Files.FilesHelpers;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// Uploads through the file browser's endpoint: the bytes and type as sent, listed with the
/// app that wrote them; a name taken asks first (412) and a replacement keeps the old version;
/// a full storage, a file too large and a clash are sentences, not statuses; a body cut short
/// stores nothing.
/// </summary>
public abstract class FilesUploadTests(ServerFixture server)
{
    [Fact]
    public async Task An_uploaded_file_is_stored_with_its_bytes_and_type_and_listed_with_the_page_as_its_maker()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var antiforgery = await AntiforgeryAsync(browser);
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        await UploadOkAsync(browser, antiforgery, "/music/a song+more?.mp3", bytes, "audio/mpeg");

        // An app's document beside it: the listing names the app's host, its origin in the tooltip.
        var token = server.Tokens.Issue(user, "*:rw");
        await PutAsync(server, user, token, "/music/notes.json", Encoding.UTF8.GetBytes("{\"a\":1}"), "application/json");

        using (var raw = await browser.GetAsync("/files/bytes?path=" + Encode("/music/a song+more?.mp3")))
        {
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Equal(bytes, await raw.Content.ReadAsByteArrayAsync());
            Assert.Equal("audio/mpeg", Header(raw, "Content-Type"));
        }

        await using (var scope = server.CreateScope())
        {
            var node = await ServerFixture.Db(scope).Nodes.AsNoTracking().SingleAsync(n => n.Owner == user && n.Path == "/music/a song+more?.mp3");
            Assert.Equal("Files page", node.ModifiedBy);
            Assert.Equal(bytes.LongLength, node.ContentLength);
        }

        var root = WebUtility.HtmlDecode(await browser.GetPageAsync("/files"));
        Assert.Contains("href=\"/files?path=/music/\"", root, StringComparison.Ordinal);
        Assert.Contains("Module", root, StringComparison.Ordinal);
        var page = WebUtility.HtmlDecode(await browser.GetPageAsync("/files?path=/music/"));
        var row = Html.Element(page, "data-path=\"/music/a song+more?.mp3\"", "</tr>")!;
        Assert.Contains("a song+more?.mp3", row, StringComparison.Ordinal);
        Assert.Contains("293 KB", row, StringComparison.Ordinal);
        Assert.Contains("Audio", row, StringComparison.Ordinal);
        Assert.Contains(">Files page</span>", row, StringComparison.Ordinal);
        Assert.Contains("/files/preview?path=/music/a%20song%2Bmore%3F.mp3", row, StringComparison.Ordinal);
        var appRow = Html.Element(page, "data-path=\"/music/notes.json\"", "</tr>")!;
        Assert.Contains("title=\"https://tests.example\">tests.example</span>", appRow, StringComparison.Ordinal);
        Assert.Contains("JSON data", appRow, StringComparison.Ordinal);

        // The folder's audio plays as a list.
        Assert.Contains("id=\"playlist\"", page, StringComparison.Ordinal);
        Assert.Contains("data-src=\"/files/bytes?path=/music/a%20song%2Bmore%3F.mp3\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_already_taken_answers_412_first_and_replacing_keeps_the_old_version_in_history()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var antiforgery = await AntiforgeryAsync(browser);
        await UploadOkAsync(browser, antiforgery, "/notes/todo.txt", Encoding.UTF8.GetBytes("first version of the list"), "text/plain");

        using (var again = await UploadAsync(browser, antiforgery, "/notes/todo.txt", Content(Encoding.UTF8.GetBytes("second version"), "text/plain")))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, again.StatusCode);
            var (ok, outcome, message) = await AnswerAsync(again);
            Assert.False(ok);
            Assert.Equal("exists", outcome);
            Assert.Equal("A file with this name is already here.", message);
        }

        using (var replace = await UploadAsync(browser, antiforgery, "/notes/todo.txt", Content(Encoding.UTF8.GetBytes("second version"), "text/markdown"), ifNoneMatch: false))
        {
            Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
            Assert.Equal("replaced", (await AnswerAsync(replace)).Outcome);
        }

        using (var raw = await browser.GetAsync("/files/bytes?path=/notes/todo.txt"))
        {
            Assert.Equal("second version", await raw.Content.ReadAsStringAsync());
            Assert.Equal("text/markdown", Header(raw, "Content-Type"));
        }

        await using var scope = server.CreateScope();
        Assert.True(StoragePath.TryParse("/notes/todo.txt", out var path).Success);
        var versions = await scope.ServiceProvider.GetRequiredService<DocumentHistory>().ListVersionsAsync(user, path!);
        var old = Assert.Single(versions.Retained);
        Assert.Equal("text/plain", old.ContentType);
        Assert.Equal("Files page", old.ReplacedBy);
    }

    [Fact]
    public async Task A_full_storage_a_file_too_large_and_a_clash_are_told_in_plain_words_and_store_nothing()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var antiforgery = await AntiforgeryAsync(browser);
        await UploadOkAsync(browser, antiforgery, "/photos/2024", Encoding.UTF8.GetBytes("a document named like a folder"), "text/plain");

        // draft-26 §4: a document can't be where a folder would have to be.
        using (var clash = await UploadAsync(browser, antiforgery, "/photos/2024/beach.png", Content([1, 2, 3], "image/png")))
        {
            Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
            Assert.Contains("can't go there", (await AnswerAsync(clash)).Message, StringComparison.Ordinal);
        }

        // Declared too large: refused before a byte is read. Sent without a length: cut off at the limit.
        using (var declared = await UploadAsync(browser, antiforgery, "/big/declared.bin", Content(new byte[ServerFixture.MaxDocumentBytes + 1], "application/octet-stream")))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
            var (ok, outcome, message) = await AnswerAsync(declared);
            Assert.False(ok);
            Assert.Equal("too-large", outcome);
            Assert.Equal("This file is too large: the largest file this server takes is 1.0 MB.", message);
        }

        var chunked = new StreamContent(new MemoryStream(new byte[ServerFixture.MaxDocumentBytes + 4096]));
        chunked.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        using (var request = new HttpRequestMessage(HttpMethod.Put, "/files/upload?path=/big/chunked.bin") { Content = chunked })
        {
            request.Headers.TransferEncodingChunked = true;
            request.Headers.Add("RequestVerificationToken", antiforgery);
            using var response = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("too-large", (await AnswerAsync(response)).Outcome);
        }

        await using (var scope = server.CreateScope())
        {
            await UserLock.SetQuotaAsync(ServerFixture.Db(scope), user, 1000, CancellationToken.None);
        }

        using (var full = await UploadAsync(browser, antiforgery, "/photos/big.png", Content(new byte[5000], "image/png")))
        {
            Assert.Equal((HttpStatusCode)507, full.StatusCode);
            var (ok, outcome, message) = await AnswerAsync(full);
            Assert.False(ok);
            Assert.Equal("full", outcome);
            Assert.StartsWith("Your storage is full", message, StringComparison.Ordinal);
        }

        var page = await browser.GetPageAsync("/files");
        Assert.DoesNotContain("/big/", page, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/photos/\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("big.png", await browser.GetPageAsync("/files?path=/photos/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_cut_short_by_the_browser_stores_nothing()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _b = browser;
        var antiforgery = await AntiforgeryAsync(browser);
        var body = new CutShortContent(200_000, 500_000);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using (var request = new HttpRequestMessage(HttpMethod.Put, "/files/upload?path=/cut/half.bin") { Content = body })
        {
            request.Headers.Add("RequestVerificationToken", antiforgery);
            await Assert.ThrowsAnyAsync<Exception>(() => browser.SendAsync(request));
        }

        // The server has noticed the cut once a listing shows nothing and no blob is left over.
        for (var i = 0; i < 50 && server.BlobTempFiles().Any(); i++)
        {
            await Task.Delay(100);
        }

        Assert.Contains("id=\"folder-empty\"", await browser.GetPageAsync("/files"), StringComparison.Ordinal);
        Assert.Empty(server.BlobTempFiles());
    }

    /// <summary>Declares <c>declared</c> bytes, sends <c>sent</c>, then fails: a cancelled upload.</summary>
    private sealed class CutShortContent(int sent, long declared) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(new byte[sent]);
            await stream.FlushAsync();
            await Task.Delay(200);
            throw new IOException("cancelled by the test");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = declared;
            return true;
        }
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class FilesUploadTests_Sqlite(SqliteServerFixture server) : FilesUploadTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FilesUploadTests_PostgresS3(PostgresS3ServerFixture server) : FilesUploadTests(server), IClassFixture<PostgresS3ServerFixture>;
