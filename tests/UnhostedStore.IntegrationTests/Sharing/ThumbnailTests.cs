using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Previews;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>
/// Thumbnails of shared images: real PNG and JPEG files become small WebP images, cached on
/// disk; what is not an image we decode (garbage, too many pixels, not an image at all) gets the
/// icon, never an error.
/// </summary>
public abstract class ThumbnailTests(ShareServerFixture server)
{
    [Fact]
    public async Task Real_png_and_jpeg_images_get_webp_thumbnails_no_larger_than_the_limit_cached_by_version()
    {
        var (user, token) = await OwnerAsync();
        await PutAsync(server, user, token, "/pics/wide.png", Picture(800, 600), "image/png");
        await PutAsync(server, user, token, "/pics/tall.jpg", Picture(900, 1200, jpeg: true), "image/jpeg");
        await PutAsync(server, user, token, "/pics/tiny.png", Picture(40, 20), "image/png");
        var link = await ShareAsync(server, user, "pics/");
        using var visitor = new Visitor(server);

        foreach (var (name, width, height) in new[] { ("wide.png", 256, 192), ("tall.jpg", 192, 256), ("tiny.png", 40, 20) })
        {
            using var response = await visitor.GetAsync($"{link}/{name}?handler=thumb");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/webp", Header(response, "Content-Type"));
            AssertSandboxed(response);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.InRange(bytes.Length, 20, 64 * 1024);
            var info = Image.Identify(bytes);
            Assert.Equal((width, height), (info.Width, info.Height));

            // Asked again with its tag: nothing to send.
            var etag = response.Headers.ETag!.Tag;
            using var again = await visitor.GetAsync($"{link}/{name}?handler=thumb", r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
            Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        }

        // Each thumbnail is one file of the cache; a new version of the image makes a new one.
        var cache = server.Services.GetRequiredService<ThumbnailCache>();
        var before = Directory.EnumerateFiles(cache.Folder, "*", SearchOption.AllDirectories).Count();
        Assert.True(before >= 3);
        await PutAsync(server, user, token, "/pics/wide.png", Picture(100, 400), "image/png");
        using (var changed = await visitor.GetAsync($"{link}/wide.png?handler=thumb"))
        {
            var info = Image.Identify(await changed.Content.ReadAsByteArrayAsync());
            Assert.Equal((64, 256), (info.Width, info.Height));
        }

        Assert.Equal(before + 1, Directory.EnumerateFiles(cache.Folder, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task Garbage_oversized_and_non_image_documents_get_the_icon_not_an_error()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/pics/broken.png", "this is not a PNG at all, only text", "image/png");
        var png = Picture(64, 64);
        await PutAsync(server, user, token, "/pics/cut.png", png[..(png.Length / 2)], "image/png");
        await PutAsync(server, user, token, "/pics/huge.png", Picture(13_000, 2), "image/png");
        await PutTextAsync(server, user, token, "/pics/readme.txt", "not an image, a text file");
        await PutTextAsync(server, user, token, "/pics/vector.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "image/svg+xml");
        var link = await ShareAsync(server, user, "pics/");
        using var visitor = new Visitor(server);

        foreach (var name in new[] { "broken.png", "cut.png", "huge.png", "readme.txt", "vector.svg" })
        {
            using var response = await visitor.GetAsync($"{link}/{name}?handler=thumb");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode}");
            Assert.Equal(PreviewIcons.ContentType, Header(response, "Content-Type"));
            Assert.Equal(PreviewIcons.Picture, await response.Content.ReadAsByteArrayAsync());
            AssertSandboxed(response);
        }

        // The gallery still lists the broken pictures (with the icon), and the page works.
        var (status, html) = await visitor.PageAsync(link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"{link}/broken.png?handler=thumb", html, StringComparison.Ordinal);
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
public sealed class ThumbnailTests_Sqlite(ShareSqliteFixture server) : ThumbnailTests(server), IClassFixture<ShareSqliteFixture>;

public sealed class ThumbnailTests_PostgresS3(SharePostgresS3Fixture server) : ThumbnailTests(server), IClassFixture<SharePostgresS3Fixture>;
