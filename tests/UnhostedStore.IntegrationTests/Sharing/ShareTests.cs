using System.IO.Compression;
using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>
/// What someone with a share link sees, without an account: a document's preview and bytes
/// (ranges included), a folder's gallery, playlist, list and zip, always current; bytes that
/// never run in our origin; legacy types that still preview.
/// </summary>
public abstract class ShareTests(ShareServerFixture server)
{
    private const string Script = "<script>alert('x')</script> and more text past the inline limit";

    [Fact]
    public async Task A_shared_document_opens_with_an_escaped_text_preview_and_its_bytes_and_counts_page_opens_only()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/notes/todo.txt", Script);
        var link = await ShareAsync(server, user, "notes/todo.txt");
        using var visitor = new Visitor(server);

        var (status, html) = await visitor.PageAsync(link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("id=\"preview-text\"", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/account", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Log out", html, StringComparison.Ordinal);

        using (var raw = await visitor.GetAsync(link + "?handler=raw"))
        {
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Equal(Script, await raw.Content.ReadAsStringAsync());
            Assert.Equal("text/plain; charset=utf-8", Header(raw, "Content-Type"));
            Assert.Equal("inline", Disposition(raw));
            Assert.Equal("bytes", Header(raw, "Accept-Ranges"));
            AssertSandboxed(raw);
        }

        // Two page opens count; the byte requests of players and downloads do not.
        await visitor.PageAsync(link);
        for (var i = 0; i < 3; i++)
        {
            await visitor.BytesAsync(link + "?handler=raw");
        }

        var row = await LinkAsync(server, link);
        Assert.Equal(2, row.OpenCount);
        Assert.NotNull(row.LastOpenedUtc);

        // A link to a document names nothing below it.
        Assert.Equal(HttpStatusCode.BadRequest, (await visitor.PageAsync(link + "/x")).Status);
    }

    [Fact]
    public async Task A_shared_folder_shows_pictures_audio_files_and_subfolders_as_they_are_now_and_zips_only_itself()
    {
        var (user, token) = await OwnerAsync();
        await PutAsync(server, user, token, "/trip/a.png", Picture(40, 30), "image/png");
        await PutAsync(server, user, token, "/trip/song.wav", Wav(0.5), "audio/wav");
        await PutTextAsync(server, user, token, "/trip/notes.txt", "notes about the trip, long enough");
        await PutTextAsync(server, user, token, "/trip/day 2/diary.json", "{\"day\":2,\"weather\":\"sunny and warm\"}", "application/json");
        await PutTextAsync(server, user, token, "/tripsecret.txt", "a secret next to the shared folder");
        await PutTextAsync(server, user, token, "/other/secret.txt", "a secret elsewhere in the storage");
        var link = await ShareAsync(server, user, "trip/");
        using var visitor = new Visitor(server);

        var (status, html) = await visitor.PageAsync(link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<img src=\"{link}/a.png?handler=thumb\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-src=\"{link}/song.wav?handler=raw\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{link}/notes.txt\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{link}/day%202/\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{link}/?handler=zip\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", html, StringComparison.Ordinal);

        // Always the folder's current contents.
        await PutTextAsync(server, user, token, "/trip/late.txt", "added after the link was made");
        Assert.Contains($"href=\"{link}/late.txt\"", (await visitor.PageAsync(link + "/")).Html, StringComparison.Ordinal);

        // A subfolder, with breadcrumbs from the shared folder down, and a document in it.
        var (subStatus, sub) = await visitor.PageAsync(link + "/day%202/");
        Assert.Equal(HttpStatusCode.OK, subStatus);
        Assert.Contains($"<a href=\"{link}/\">trip</a>", sub, StringComparison.Ordinal);
        Assert.Contains("<span aria-current=\"page\">day 2</span>", sub, StringComparison.Ordinal);
        var (docStatus, doc) = await visitor.PageAsync(link + "/day%202/diary.json");
        Assert.Equal(HttpStatusCode.OK, docStatus);
        Assert.Contains("&quot;weather&quot;: &quot;sunny and warm&quot;", doc, StringComparison.Ordinal);

        // A folder named without its slash is shown at its folder address.
        using (var redirect = await visitor.GetAsync(link + "/day%202"))
        {
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            Assert.Equal(link + "/day%202/", redirect.Headers.Location?.OriginalString);
        }

        using var zipResponse = await visitor.GetAsync(link + "/?handler=zip");
        Assert.Equal(HttpStatusCode.OK, zipResponse.StatusCode);
        Assert.Equal("application/zip", Header(zipResponse, "Content-Type"));
        Assert.Equal("attachment", Disposition(zipResponse));
        using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()));
        Assert.Equal(["a.png", "day 2/diary.json", "late.txt", "notes.txt", "song.wav"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        using var reader = new StreamReader(zip.GetEntry("late.txt")!.Open());
        Assert.Equal("added after the link was made", await reader.ReadToEndAsync());

        // A subfolder's zip has only what is below it.
        using var subZip = new ZipArchive(new MemoryStream(await visitor.BytesAsync(link + "/day%202/?handler=zip")));
        Assert.Equal(["diary.json"], subZip.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task Range_requests_on_a_shared_audio_file_answer_206_with_the_right_bytes()
    {
        var (user, token) = await OwnerAsync();
        var wav = Wav(3);
        await PutAsync(server, user, token, "/music/tone.wav", wav, "audio/wav");
        var link = await ShareAsync(server, user, "music/");
        using var visitor = new Visitor(server);
        var raw = link + "/tone.wav?handler=raw";

        string etag;
        using (var part = await visitor.GetAsync(raw, r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
            Assert.Equal($"bytes 1000-1999/{wav.Length}", Header(part, "Content-Range"));
            Assert.Equal("bytes", Header(part, "Accept-Ranges"));
            Assert.Equal(wav[1000..2000], await part.Content.ReadAsByteArrayAsync());
            Assert.Equal("inline", Disposition(part));
            AssertSandboxed(part);
            etag = part.Headers.ETag!.Tag;
        }

        using (var tail = await visitor.GetAsync(raw, r => r.Headers.TryAddWithoutValidation("Range", "bytes=-100")))
        {
            Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
            Assert.Equal(wav[^100..], await tail.Content.ReadAsByteArrayAsync());
        }

        // If-Range (RFC 9110 §13.1.5): the current version gets the range, an old one the whole.
        using (var same = await visitor.GetAsync(raw, r => { r.Headers.TryAddWithoutValidation("Range", "bytes=0-9"); r.Headers.TryAddWithoutValidation("If-Range", etag); }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, same.StatusCode);
            Assert.Equal(wav[..10], await same.Content.ReadAsByteArrayAsync());
        }

        using (var stale = await visitor.GetAsync(raw, r => { r.Headers.TryAddWithoutValidation("Range", "bytes=0-9"); r.Headers.TryAddWithoutValidation("If-Range", "\"old\""); }))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal(wav, await stale.Content.ReadAsByteArrayAsync());
        }

        using (var beyond = await visitor.GetAsync(raw, r => r.Headers.TryAddWithoutValidation("Range", $"bytes={wav.Length}-")))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
            Assert.Equal($"bytes */{wav.Length}", Header(beyond, "Content-Range"));
        }

        using (var notModified = await visitor.GetAsync(raw, r => r.Headers.TryAddWithoutValidation("If-None-Match", etag)))
        {
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        var (status, page) = await visitor.PageAsync(link + "/tone.wav");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<audio class=\"preview\" id=\"preview-audio\" controls preload=\"metadata\" src=\"{raw}\">", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_never_run_in_our_origin_html_svg_and_unknown_types_download_inside_a_sandbox()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/site/index.html", "<html><script>document.cookie</script></html>", "text/html; charset=utf-8");
        await PutTextAsync(server, user, token, "/site/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", "image/svg+xml");
        await PutTextAsync(server, user, token, "/site/data.bin", "some bytes of an unknown kind", "application/x-unknown");
        await PutAsync(server, user, token, "/site/photo.png", Picture(20, 20), "image/png");
        var link = await ShareAsync(server, user, "site/");
        using var visitor = new Visitor(server);

        foreach (var (name, type, disposition) in new[]
        {
            ("index.html", "text/html; charset=utf-8", "attachment"),
            ("logo.svg", "image/svg+xml", "attachment"),
            ("data.bin", "application/x-unknown", "attachment"),
            ("photo.png", "image/png", "inline"),
        })
        {
            using var response = await visitor.GetAsync($"{link}/{name}?handler=raw");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            AssertSandboxed(response);
            Assert.Equal(type, Header(response, "Content-Type"));
            Assert.Equal(disposition, Disposition(response));
            Assert.Equal(name, response.Content.Headers.ContentDisposition!.FileNameStar);
            Assert.Equal("no-cache", Header(response, "Cache-Control"));
        }

        // The pages themselves keep the page policy; an HTML document previews as its source.
        using var page = await visitor.GetAsync(link + "/index.html");
        Assert.StartsWith("default-src 'self'", Header(page, "Content-Security-Policy"), StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;document.cookie&lt;/script&gt;", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_legacy_image_type_previews_as_an_image_while_the_storage_api_returns_it_byte_for_byte()
    {
        const string Legacy = "image/png; charset=binary";
        var (user, token) = await OwnerAsync();
        var png = Picture(300, 200);
        await PutAsync(server, user, token, "/pics/old.png", png, Legacy);
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/pics/old.png").WithToken(token))
        using (var stored = await server.Client.SendAsync(request))
        {
            Assert.Equal(Legacy, Header(stored, "Content-Type"));
            Assert.Null(stored.Content.Headers.ContentDisposition);
        }

        var link = await ShareAsync(server, user, "pics/old.png");
        using var visitor = new Visitor(server);
        var (status, html) = await visitor.PageAsync(link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<img class=\"preview\" id=\"preview-image\" src=\"{link}?handler=raw\"", html, StringComparison.Ordinal);
        using var raw = await visitor.GetAsync(link + "?handler=raw");
        Assert.Equal(Legacy, Header(raw, "Content-Type"));
        Assert.Equal("inline", Disposition(raw));
        Assert.Equal(png, await raw.Content.ReadAsByteArrayAsync());
        using var thumb = await visitor.GetAsync(link + "?handler=thumb");
        Assert.Equal("image/webp", Header(thumb, "Content-Type"));
    }

    private async Task<(string User, string Token)> OwnerAsync()
    {
        var user = ServerFixture.NewUser();
        return (user, await server.Tokens.IssueAsync(user, "*:rw"));
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class ShareTests_Sqlite(ShareSqliteFixture server) : ShareTests(server), IClassFixture<ShareSqliteFixture>;

public sealed class ShareTests_PostgresS3(SharePostgresS3Fixture server) : ShareTests(server), IClassFixture<SharePostgresS3Fixture>;
