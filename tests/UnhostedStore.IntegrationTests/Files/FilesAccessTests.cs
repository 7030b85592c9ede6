using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Files.FilesHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// Who may use the file browser, and on what: only a logged-in person, only on their own
/// storage (another user's paths, bytes, zip and tree are out of reach whatever the request
/// says), never with a state change lacking the antiforgery token, never as a leaving account;
/// paths are parsed like the storage API's, and a bad one gets a plain message.
/// </summary>
public abstract class FilesAccessTests(ServerFixture server)
{
    [Theory]
    [InlineData("/files")]
    [InlineData("/files?path=/music/")]
    [InlineData("/files/preview?path=/music/a.mp3")]
    [InlineData("/files/bytes?path=/music/a.mp3")]
    [InlineData("/files/bytes?handler=zip&path=/music/")]
    [InlineData("/files/delete?path=/music/a.mp3")]
    public async Task Without_a_login_every_files_address_redirects_to_the_login_page(string address)
    {
        using var browser = new Browser(server);
        using var response = await browser.GetAsync(address);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);

        using var upload = await UploadAsync(browser, null, "/music/a.mp3", Content([1, 2, 3], "audio/mpeg"));
        Assert.NotEqual(HttpStatusCode.Created, upload.StatusCode);
        Assert.True(upload.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.BadRequest, $"{(int)upload.StatusCode}");
    }

    [Fact]
    public async Task Another_users_documents_bytes_zip_and_tree_are_never_reachable()
    {
        var alice = ServerFixture.NewUser();
        await SeedAsync(server, alice, [("/secret/diary.txt", Encoding.UTF8.GetBytes("alice's secret diary"), "text/plain"), ("/secret/face.png", Sharing.ShareHelpers.Picture(64, 64), "image/png")]);
        var (_, bob) = await LoggedInUserAsync(server);
        using var _b = bob;

        // Bob's pages name only Bob's storage: Alice's paths are empty or missing there.
        var folder = await bob.GetPageAsync("/files?path=/secret/");
        Assert.DoesNotContain("diary.txt", folder, StringComparison.Ordinal);
        Assert.Contains("id=\"folder-empty\"", folder, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", await bob.GetPageAsync("/files"), StringComparison.Ordinal);
        foreach (var address in new[] { "/files/preview?path=/secret/diary.txt", "/files/bytes?path=/secret/diary.txt", "/files/delete?path=/secret/diary.txt" })
        {
            using var response = await bob.GetAsync(address);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("alice's secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A path naming her storage the API's way is only a path in his.
        using (var response = await bob.GetAsync($"/files/bytes?path=/storage/{alice}/secret/diary.txt"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var thumb = await bob.GetAsync("/files/bytes?handler=thumb&path=/secret/face.png"))
        {
            Assert.Equal("image/svg+xml", thumb.Content.Headers.ContentType!.MediaType);
        }

        using (var zip = await bob.GetAsync("/files/bytes?handler=zip&path=/secret/"))
        {
            Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
            using var archive = new ZipArchive(await zip.Content.ReadAsStreamAsync(), ZipArchiveMode.Read);
            Assert.Empty(archive.Entries);
        }

        // Deleting and uploading "there" touch Bob's tree only.
        var confirm = await bob.GetAsync("/files/delete?path=/secret/");
        Assert.Equal(HttpStatusCode.NotFound, confirm.StatusCode);
        var antiforgery = await AntiforgeryAsync(bob);
        await UploadOkAsync(bob, antiforgery, "/secret/diary.txt", Encoding.UTF8.GetBytes("bob's"), "text/plain");
        var page = await bob.GetPageAsync("/files/delete?path=/secret/");
        using (var deleted = await bob.SubmitAsync(page, "id=\"delete-form\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        }

        await using var scope = server.CreateScope();
        var reads = scope.ServiceProvider.GetRequiredService<UnhostedStore.Storage.DocumentReads>();
        Assert.True(UnhostedStore.Storage.StoragePath.TryParse("/secret/diary.txt", out var path).Success);
        var found = await reads.GetDocumentAsync(alice, path!, UnhostedStore.Storage.RequestConditions.None, null, openBody: true, CancellationToken.None);
        var doc = Assert.IsType<UnhostedStore.Storage.StorageOutcome.DocumentFound>(found);
        await using (doc.Body!)
        {
            using var reader = new StreamReader(doc.Body!);
            Assert.Equal("alice's secret diary", await reader.ReadToEndAsync());
        }
    }

    [Fact]
    public async Task Dot_segments_plain_or_percent_encoded_never_reach_another_users_documents()
    {
        var alice = ServerFixture.NewUser();
        await SeedAsync(server, alice, [("/secret/diary.txt", Encoding.UTF8.GetBytes("alice's secret diary"), "text/plain")]);
        var (bob, browser) = await LoggedInUserAsync(server);
        using var _b = browser;
        await SeedAsync(server, bob, [("/notes/ok.txt", Encoding.UTF8.GetBytes("bob's own"), "text/plain")]);
        var cookie = browser.Cookies.GetCookieHeader(server.BaseAddress);

        // Sent byte for byte (HttpClient would decode %2e and drop dot segments before sending):
        // the query is decoded once, and a path with a dot segment is refused, as the storage API refuses it.
        string[] refused =
        [
            "/files?path=/notes/../secret/",
            "/files?path=/notes/%2e%2e/secret/",
            "/files?path=%2Fnotes%2F..%2Fsecret%2F",
            $"/files/preview?path=/notes/%2E%2E/%2e%2e/storage/{alice}/secret/diary.txt",
            "/files/preview?path=/notes/./../secret/diary.txt",
            "/files/bytes?path=/notes/.%2e/secret/diary.txt",
            $"/files/bytes?path=%2F..%2F..%2F{alice}%2Fsecret%2Fdiary.txt",
            "/files/bytes?handler=thumb&path=/notes/%2e%2e/secret/diary.txt",
            "/files/bytes?handler=zip&path=/notes/%2e%2e/secret/",
            "/files/delete?path=/notes/%2e%2e/secret/diary.txt",
        ];
        foreach (var address in refused)
        {
            var response = await GetRawAsync(address, cookie);
            Assert.True(response.Status == 400, $"{address}: {response.StatusLine}");
            Assert.Contains("That is not a path in your storage", WebUtility.HtmlDecode(response.BodyText), StringComparison.Ordinal);
            Assert.DoesNotContain("alice's secret", response.BodyText, StringComparison.Ordinal);
        }

        // Encoded twice, the dots are only a name in Bob's own storage.
        var literal = await GetRawAsync($"/files/bytes?path=/%252e%252e/{alice}/secret/diary.txt", cookie);
        Assert.Equal(404, literal.Status);

        // Dot segments in the address itself resolve to the storage API, which reads the target
        // as sent and refuses it (and a login cookie is no bearer token there anyway).
        foreach (var address in new[] { $"/files/../storage/{alice}/secret/diary.txt", $"/files/%2e%2e/storage/{alice}/secret/diary.txt" })
        {
            var response = await GetRawAsync(address, cookie);
            Assert.True(response.Status == 400, $"{address}: {response.StatusLine}");
            Assert.DoesNotContain("alice's secret", response.BodyText, StringComparison.Ordinal);
        }

        // The same cookie does open Bob's own document: the refusals were about the paths.
        var own = await GetRawAsync("/files/bytes?path=/notes/ok.txt", cookie);
        Assert.Equal(200, own.Status);
        Assert.Equal("bob's own", own.BodyText);
    }

    [Fact]
    public async Task Uploads_and_deletions_without_the_antiforgery_token_are_refused_with_400_and_change_nothing()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        using (var upload = await UploadAsync(browser, null, "/notes/a.txt", Content(Encoding.UTF8.GetBytes("no token"), "text/plain")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        }

        using (var wrong = await UploadAsync(browser, "not-a-token", "/notes/a.txt", Content(Encoding.UTF8.GetBytes("bad token"), "text/plain")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        Assert.Contains("id=\"folder-empty\"", await browser.GetPageAsync("/files"), StringComparison.Ordinal);

        await SeedAsync(server, user, [("/notes/keep.txt", Encoding.UTF8.GetBytes("keep me"), "text/plain")]);
        using (var delete = await browser.PostAsync("/files/delete?path=/notes/keep.txt", [new("path", "/notes/keep.txt")]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, delete.StatusCode);
        }

        Assert.Contains("keep.txt", await browser.GetPageAsync("/files?path=/notes/"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/files?path=/a/../b/", "That is not a path in your storage")]
    [InlineData("/files?path=/a//b/", "That is not a path in your storage")]
    [InlineData("/files?path=notes/", "A path starts with /")]
    [InlineData("/files/preview?path=/a/%00", "That is not a path in your storage")]
    [InlineData("/files/bytes?path=/a/..", "That is not a path in your storage")]
    [InlineData("/files/bytes?path=/a/", "That is a folder, not a document")]
    [InlineData("/files/bytes?handler=zip&path=/a", "That is a document, not a folder")]
    public async Task A_bad_path_answers_400_with_a_plain_message(string address, string message)
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _b = browser;
        using var response = await browser.GetAsync(address);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_upload_path_is_a_plain_message_and_stores_nothing()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _b = browser;
        var antiforgery = await AntiforgeryAsync(browser);
        foreach (var path in new[] { "/a/../b", "%2Fa%2F..%2Fb", "/a/", "/", "/a//b" })
        {
            using var response = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/files/upload?path=" + path)
            {
                Content = Content([1], "application/octet-stream"),
                Headers = { { "RequestVerificationToken", antiforgery } },
            });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var (ok, outcome, message) = await AnswerAsync(response);
            Assert.False(ok);
            Assert.Equal("bad-path", outcome);
            Assert.False(string.IsNullOrWhiteSpace(message));
        }

        Assert.Contains("id=\"folder-empty\"", await browser.GetPageAsync("/files"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_whose_account_is_being_deleted_is_sent_to_the_login_page()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var antiforgery = await AntiforgeryAsync(browser);
        await using (var scope = server.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccountDeletions>().ScheduleAsync(user, eraseNow: false, CancellationToken.None);
        }

        using var page = await browser.GetAsync("/files");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        using var upload = await UploadAsync(browser, antiforgery, "/notes/a.txt", Content([1], "text/plain"));
        Assert.NotEqual(HttpStatusCode.Created, upload.StatusCode);
    }

    private Task<RawResponse> GetRawAsync(string address, string cookie) =>
        RawHttp.SendAsync(server.BaseAddress, $"GET {address} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n");
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class FilesAccessTests_Sqlite(SqliteServerFixture server) : FilesAccessTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FilesAccessTests_PostgresS3(PostgresS3ServerFixture server) : FilesAccessTests(server), IClassFixture<PostgresS3ServerFixture>;
