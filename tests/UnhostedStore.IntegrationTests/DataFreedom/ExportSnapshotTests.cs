using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.History;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using static UnhostedStore.IntegrationTests.DataFreedom.ExportHelpers;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>An export is one snapshot: a document overwritten while the zip is being read comes
/// out whole in the version the export started with, its blob survives the overwrite (and the
/// sweeper) while the export runs, and is removed once the export is over.</summary>
public abstract class ExportSnapshotTests(ServerFixture server)
{
    private const int Big = 900 * 1024;

    [Fact]
    public async Task A_document_overwritten_mid_export_is_exported_whole_in_its_old_version_and_its_old_blob_is_swept_afterwards()
    {
        var (user, browser) = await Accounts.AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var token = server.Tokens.Issue(user, "*:rw");
        var random = new Random(7);

        // Far more than the socket buffers hold ahead of the one document, so the export is
        // stalled on the reader (folders go out in name order) before it reaches /z/.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, $"/a/filler-{i:D2}.png", new StoredDocument(RandomBytes(random, Big), "image/png")));
        }

        var old = new StoredDocument(RandomBytes(random, Big), "application/octet-stream");
        var replacement = new StoredDocument(RandomBytes(random, Big - 1000), "application/octet-stream");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/z/big.bin", old));
        string oldETag;
        using (var head = await SendAsync(server, HttpMethod.Head, user, token, "/z/big.bin"))
        {
            oldETag = Unquote(head.Headers.ETag);
        }

        var oldKey = await BlobKeyAsync(user, "/z/big.bin");

        using var client = new HttpClient(new SocketsHttpHandler { CookieContainer = browser.Cookies, UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        using var response = await client.GetAsync("/account/export.zip", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var zipBytes = new MemoryStream();
        var first = new byte[64 * 1024];
        zipBytes.Write(first, 0, await body.ReadAtLeastAsync(first, first.Length));
        await Task.Delay(500);

        // Mid-export: the overwrite commits, but the old blob stays, and so it does through a
        // sweep with no grace at all.
        Assert.Equal(HttpStatusCode.OK, await PutAsync(server, user, token, "/z/big.bin", replacement));
        Assert.NotEqual(oldKey, await BlobKeyAsync(user, "/z/big.bin"));
        await SweepAsync();
        Assert.Contains(oldKey, await server.StoredBlobKeysAsync());

        // A slow reader: the rest in small bites.
        var bite = new byte[256 * 1024];
        int read;
        while ((read = await body.ReadAsync(bite)) > 0)
        {
            zipBytes.Write(bite, 0, read);
            await Task.Delay(5);
        }

        zipBytes.Position = 0;
        using var zip = new System.IO.Compression.ZipArchive(zipBytes);
        Assert.Equal(old.Body, Read(zip.GetEntry("z/big.bin")!));
        using (var description = ReadJson(zip, "z/" + Description))
        {
            var item = description.RootElement.GetProperty("items").GetProperty("big.bin");
            Assert.Equal(oldETag, item.GetProperty("ETag").GetString());
            Assert.Equal(old.Body.Length, item.GetProperty("Content-Length").GetInt64());
        }

        Assert.Equal(21, Documents(zip).Count);

        // The export is over: its hold is gone, and the next sweep removes the old blob.
        await using (var scope = server.CreateScope())
        {
            Assert.False(await ServerFixture.Db(scope).BlobHolds.AnyAsync(h => h.Owner == user));
        }

        await SweepAsync();
        Assert.DoesNotContain(oldKey, await server.StoredBlobKeysAsync());
        using var now = await SendAsync(server, HttpMethod.Get, user, token, "/z/big.bin");
        Assert.Equal(replacement.Body, await now.Content.ReadAsByteArrayAsync());
    }

    private async Task<string> BlobKeyAsync(string user, string path)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).Nodes.Where(n => n.Owner == user && n.Path == path).Select(n => n.BlobKey!).SingleAsync();
    }

    /// <summary>What the orphan sweeper does on its timer, with no grace.</summary>
    private async Task SweepAsync()
    {
        await using var scope = server.CreateScope();
        await scope.ServiceProvider.GetRequiredService<BlobReconciler>().RunAsync(repair: true, TimeSpan.Zero, checkRows: false, CancellationToken.None);
    }
}

// Without history (Storage:VersionRetentionDays=0) an overwrite's old blob is deleted right after
// the commit, which is what the export's hold must defer; with history the old version is kept
// anyway (History/RestoreTests). On the two deployments, the embedded default and production
// (PostgreSQL + S3): PostgreSQL with filesystem blobs adds nothing these tests could catch.
public sealed class ExportSnapshotTests_Sqlite(NoHistorySqliteFixture server) : ExportSnapshotTests(server), IClassFixture<NoHistorySqliteFixture>;

public sealed class ExportSnapshotTests_PostgresS3(NoHistoryPostgresS3Fixture server) : ExportSnapshotTests(server), IClassFixture<NoHistoryPostgresS3Fixture>;
