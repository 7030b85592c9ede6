using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Files.FilesHelpers;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// Browsing one's own files: sorted and paged listings (a folder of 10,000 answers a page at a
/// time), thumbnails cached by version, previews of every kind, byte ranges for players, bytes
/// that never run in our origin, and folders as zips.
/// </summary>
public abstract class FilesBrowseTests(ServerFixture server)
{
    [Fact]
    public async Task A_folder_of_ten_thousand_items_answers_a_page_of_200_quickly_with_links_to_the_others()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var documents = Enumerable.Range(0, 10_000).Select(i => ($"/big/item {i:D5}.txt", Encoding.UTF8.GetBytes($"#{i}"), "text/plain")).ToList();
        await SeedAsync(server, user, documents, parallel: 32);

        await browser.GetPageAsync("/files?path=/big/");
        var clock = Stopwatch.StartNew();
        var first = await browser.GetPageAsync("/files?path=/big/");
        var elapsed = clock.Elapsed;
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"the first page took {elapsed}");
        Assert.Equal(200, Count(first, "<tr class=\"document\""));
        Assert.Contains("Items 1 to 200 of 10,000", first, StringComparison.Ordinal);
        Assert.Contains("Page 1 of 50", first, StringComparison.Ordinal);
        Assert.Contains("href=\"/files?path=/big/&amp;page=2\" class=\"next\"", first, StringComparison.Ordinal);
        Assert.Contains("href=\"/files?path=/big/&amp;page=50\" class=\"last\"", first, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/big/item 00000.txt\"", first, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/big/item 00199.txt\"", first, StringComparison.Ordinal);

        var last = await browser.GetPageAsync("/files?path=/big/&page=50");
        Assert.Equal(200, Count(last, "<tr class=\"document\""));
        Assert.Contains("data-path=\"/big/item 09999.txt\"", last, StringComparison.Ordinal);
        Assert.Contains("class=\"previous\"", last, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"next\"", last, StringComparison.Ordinal);

        // Reversed by name, the last item comes first; the sort stays in the page links.
        var reversed = await browser.GetPageAsync("/files?path=/big/&sort=name&dir=desc");
        Assert.True(reversed.IndexOf("item 09999.txt", StringComparison.Ordinal) < reversed.IndexOf("item 09998.txt", StringComparison.Ordinal));
        Assert.Contains("href=\"/files?path=/big/&amp;dir=desc&amp;page=2\"", reversed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sorting_by_size_and_date_keeps_folders_first_and_works_without_script()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        foreach (var (name, size) in new[] { ("medium.bin", 2000), ("small.bin", 20), ("large.bin", 9000) })
        {
            await SeedAsync(server, user, [("/s/" + name, new byte[size], "application/octet-stream")]);
            await Task.Delay(20);
        }

        await SeedAsync(server, user, [("/s/zz folder/x.txt", [1], "text/plain")]);

        string[] Order(string page) => [.. new[] { "zz folder/", "small.bin", "medium.bin", "large.bin" }.OrderBy(n => page.IndexOf(">" + n + "<", StringComparison.Ordinal))];

        var bySize = await browser.GetPageAsync("/files?path=/s/&sort=size");
        Assert.Equal(["zz folder/", "small.bin", "medium.bin", "large.bin"], Order(bySize));
        Assert.Contains("aria-sort=\"ascending\"><a href=\"/files?path=/s/&amp;sort=size&amp;dir=desc\" id=\"sort-size\"", bySize, StringComparison.Ordinal);
        var bySizeDown = await browser.GetPageAsync("/files?path=/s/&sort=size&dir=desc");
        Assert.Equal(["zz folder/", "large.bin", "medium.bin", "small.bin"], Order(bySizeDown));
        var newestFirst = await browser.GetPageAsync("/files?path=/s/&sort=date&dir=desc");
        Assert.Equal(["zz folder/", "large.bin", "small.bin", "medium.bin"], Order(newestFirst));
        var byName = await browser.GetPageAsync("/files?path=/s/");
        Assert.Equal(["zz folder/", "large.bin", "medium.bin", "small.bin"], Order(byName));
        Assert.Contains("1 item", Html.Element(byName, "data-path=\"/s/zz folder/\"", "</tr>")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Thumbnails_are_lazy_and_answer_304_while_the_version_is_the_same()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await SeedAsync(server, user, [("/photos/beach.png", Picture(640, 480), "image/png"), ("/photos/old.png", Picture(300, 200), "image/png; charset=binary"), ("/photos/readme.txt", [65], "text/plain")]);
        var page = await browser.GetPageAsync("/files?path=/photos/");
        var row = Html.Element(page, "data-path=\"/photos/beach.png\"", "</tr>")!;
        var src = WebUtility.HtmlDecode(Html.Attribute(row, "src"))!;
        Assert.StartsWith("/files/bytes?handler=thumb&path=/photos/beach.png&v=", src, StringComparison.Ordinal);
        Assert.Contains("loading=\"lazy\"", row, StringComparison.Ordinal);
        Assert.Contains("<img", Html.Element(page, "data-path=\"/photos/old.png\"", "</tr>")!, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", Html.Element(page, "data-path=\"/photos/readme.txt\"", "</tr>")!, StringComparison.Ordinal);

        using var thumb = await browser.GetAsync(src);
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        Assert.Equal("image/webp", thumb.Content.Headers.ContentType!.MediaType);
        AssertSandboxed(thumb);
        var etag = thumb.Headers.ETag!.Tag;
        using var again = new HttpRequestMessage(HttpMethod.Get, src);
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var notModified = await browser.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // The legacy type still gets a picture, and keeps its stored type byte for byte.
        using var legacy = await browser.GetAsync(WebUtility.HtmlDecode(Html.Attribute(Html.Element(page, "data-path=\"/photos/old.png\"", "</tr>")!, "src"))!);
        Assert.Equal("image/webp", legacy.Content.Headers.ContentType!.MediaType);
        using var legacyBytes = await browser.GetAsync("/files/bytes?path=/photos/old.png");
        Assert.Equal("image/png; charset=binary", Header(legacyBytes, "Content-Type"));
    }

    [Fact]
    public async Task Each_kind_of_document_previews_in_the_page_and_text_is_escaped()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await SeedAsync(server, user,
        [
            ("/p/pic.png", Picture(32, 32), "image/png"),
            ("/p/song.wav", Wav(1), "audio/wav"),
            ("/p/film.mp4", new byte[64], "video/mp4"),
            ("/p/note.txt", Encoding.UTF8.GetBytes("<script>alert(1)</script> hello"), "text/plain; charset=utf-8"),
            ("/p/data.json", Encoding.UTF8.GetBytes("{\"a\":[1,2],\"b\":\"<i>\"}"), "application/json"),
            ("/p/blob.bin", new byte[100], "application/octet-stream"),
        ]);
        Assert.Contains("id=\"preview-image\" src=\"/files/bytes?path=/p/pic.png\"", await browser.GetPageAsync("/files/preview?path=/p/pic.png"), StringComparison.Ordinal);
        Assert.Contains("<audio class=\"preview\" id=\"preview-audio\"", await browser.GetPageAsync("/files/preview?path=/p/song.wav"), StringComparison.Ordinal);
        Assert.Contains("<video class=\"preview\" id=\"preview-video\"", await browser.GetPageAsync("/files/preview?path=/p/film.mp4"), StringComparison.Ordinal);
        var text = await browser.GetPageAsync("/files/preview?path=/p/note.txt");
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; hello", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", text, StringComparison.Ordinal);
        var json = await browser.GetPageAsync("/files/preview?path=/p/data.json");
        Assert.Contains("\"a\": [", WebUtility.HtmlDecode(json), StringComparison.Ordinal);
        Assert.DoesNotContain("<i>", json, StringComparison.Ordinal);
        var other = await browser.GetPageAsync("/files/preview?path=/p/blob.bin");
        Assert.Contains("id=\"preview-none\"", other, StringComparison.Ordinal);
        Assert.Contains("href=\"/files/bytes?path=/p/blob.bin&amp;download=1\"", other, StringComparison.Ordinal);
        Assert.Contains("href=\"/account/shares?path=%2Fp%2Fblob.bin\"", other, StringComparison.Ordinal);

        using var missing = await browser.GetAsync("/files/preview?path=/p/gone.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var folder = await browser.GetAsync("/files/preview?path=/p");
        Assert.Equal(HttpStatusCode.Redirect, folder.StatusCode);
        Assert.Equal("/files?path=/p/", folder.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_range_request_on_the_bytes_answers_206_with_exactly_those_bytes()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var wav = Wav(3);
        await SeedAsync(server, user, [("/audio/tone.wav", wav, "audio/wav")]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/files/bytes?path=/audio/tone.wav");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999);
        using var partial = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(wav[1000..2000], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 1000-1999/{wav.Length}", Header(partial, "Content-Range"));
        Assert.Equal("inline", Disposition(partial));
        AssertSandboxed(partial);

        // If-Range names another version: the whole document.
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/files/bytes?path=/audio/tone.wav");
        stale.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
        stale.Headers.TryAddWithoutValidation("If-Range", "\"not-the-version\"");
        using var whole = await browser.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(wav.Length, (await whole.Content.ReadAsByteArrayAsync()).Length);

        using var beyond = new HttpRequestMessage(HttpMethod.Get, "/files/bytes?path=/audio/tone.wav");
        beyond.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(wav.Length + 10, null);
        using var unsatisfiable = await browser.SendAsync(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
    }

    [Theory]
    [InlineData("page.html", "text/html; charset=utf-8", "attachment")]
    [InlineData("drawing.svg", "image/svg+xml", "attachment")]
    [InlineData("unknown.bin", "application/x-whatever", "attachment")]
    [InlineData("plain.txt", "text/plain", "inline")]
    [InlineData("photo.png", "image/png", "inline")]
    public async Task Bytes_never_run_in_our_origin_and_active_types_are_attachments(string name, string contentType, string disposition)
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var body = Encoding.UTF8.GetBytes("<html><script>parent.alert(document.cookie)</script><svg onload=alert(1)></svg></html>");
        await SeedAsync(server, user, [("/web/" + name, body, contentType)]);
        using var raw = await browser.GetAsync("/files/bytes?path=/web/" + name);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(contentType, Header(raw, "Content-Type"));
        Assert.Equal(disposition, Disposition(raw));
        Assert.Equal(name, raw.Content.Headers.ContentDisposition!.FileNameStar ?? raw.Content.Headers.ContentDisposition.FileName!.Trim('"'));
        AssertSandboxed(raw);
        Assert.Equal(body, await raw.Content.ReadAsByteArrayAsync());

        // The Download button: always an attachment.
        using var download = await browser.GetAsync("/files/bytes?path=/web/" + name + "&download=1");
        Assert.Equal("attachment", Disposition(download));
        AssertSandboxed(download);
    }

    [Fact]
    public async Task A_folder_downloads_as_a_zip_of_every_document_under_it()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var big = new byte[100_000];
        Random.Shared.NextBytes(big);
        await SeedAsync(server, user,
        [
            ("/trip/day1.txt", Encoding.UTF8.GetBytes("beach"), "text/plain"),
            ("/trip/photos/a.bin", big, "application/octet-stream"),
            ("/trip/photos/deeper/b.txt", Encoding.UTF8.GetBytes("hills"), "text/plain"),
            ("/elsewhere/c.txt", Encoding.UTF8.GetBytes("not in the zip"), "text/plain"),
        ]);
        var page = await browser.GetPageAsync("/files?path=/trip/");
        Assert.Contains("id=\"download-zip\" href=\"/files/bytes?handler=zip&amp;path=/trip/\"", page, StringComparison.Ordinal);
        using var zip = await browser.GetAsync("/files/bytes?handler=zip&path=/trip/");
        Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
        Assert.Equal("application/zip", zip.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", Disposition(zip));
        using var archive = new ZipArchive(new MemoryStream(await zip.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        Assert.Equal(["day1.txt", "photos/a.bin", "photos/deeper/b.txt"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        await using var entry = archive.GetEntry("photos/a.bin")!.Open();
        using var copy = new MemoryStream();
        await entry.CopyToAsync(copy);
        Assert.Equal(big, copy.ToArray());
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class FilesBrowseTests_Sqlite(SqliteServerFixture server) : FilesBrowseTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FilesBrowseTests_PostgresS3(PostgresS3ServerFixture server) : FilesBrowseTests(server), IClassFixture<PostgresS3ServerFixture>;
