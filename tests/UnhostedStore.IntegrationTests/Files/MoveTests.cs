using System.Net;
using UnhostedStore.IntegrationTests.History;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;
using UnhostedStore.Storage.Moving;
using static UnhostedStore.IntegrationTests.Files.MoveTestHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// Server-side rename and move: the new path serves the same bytes and type under a new ETag,
/// the old one is gone (in the trash, as history is on in these fixtures), both parents get new
/// versions, and no byte is copied (the node names the same blob or holds the same inline bytes).
/// </summary>
public abstract class MoveTests(ServerFixture server)
{
    [Fact]
    public async Task Renaming_a_document_serves_it_only_at_the_new_path_with_the_same_bytes_and_type_under_a_new_etag_and_both_parents_change()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var body = HistoryTestClient.Bytes(3_000, 1);
        var (_, oldTag) = await client.PutAsync("/notes/a/todo.txt", body, "text/markdown; charset=utf-8");
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/a/stays", "stays")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/b/x", "x")).Status);
        var before = await DocumentsAsync(server, client.User);
        var (oldParent, newParent, notes, root) = ((await client.ListAsync("/notes/a/")).ETag, (await client.ListAsync("/notes/b/")).ETag, (await client.ListAsync("/notes/")).ETag, (await client.ListAsync("/")).ETag);
        var usage = await client.AccountAsync();

        var report = await MoveAsync(server, client.User, "/notes/a/todo.txt", "/notes/b/done.txt");

        Assert.Equal((true, 1, 1, VisibilityChange.None), (report.Completed, report.Moved, report.Total, report.Visibility));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/a/todo.txt")).Status);
        var served = await client.GetAsync("/notes/b/done.txt");
        Assert.Equal(HttpStatusCode.OK, served.Status);
        Assert.Equal(body, served.Body);
        Assert.Equal("text/markdown; charset=utf-8", served.ContentType);
        Assert.NotEqual(oldTag, served.ETag);

        var a = await client.ListAsync("/notes/a/");
        Assert.NotEqual(oldParent, a.ETag);
        Assert.Equal(["stays"], a.Items.Keys);
        var b = await client.ListAsync("/notes/b/");
        Assert.NotEqual(newParent, b.ETag);
        Assert.Equal(["done.txt", "x"], b.Items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((served.ETag!.Trim('"'), "text/markdown; charset=utf-8", 3_000L), b.Items["done.txt"]);
        Assert.NotEqual(notes, (await client.ListAsync("/notes/")).ETag);
        Assert.NotEqual(root, (await client.ListAsync("/")).ETag);

        // No copy: the new document names the old blob; the author is the label; usage is the same.
        var after = await DocumentsAsync(server, client.User);
        Assert.NotNull(before["/notes/a/todo.txt"].BlobKey);
        Assert.Equal(before["/notes/a/todo.txt"].BlobKey, after["/notes/b/done.txt"].BlobKey);
        Assert.Equal(Label, after["/notes/b/done.txt"].ModifiedBy);
        var account = await client.AccountAsync();
        Assert.Equal((usage.UsedBytes, usage.DocumentCount), (account.UsedBytes, account.DocumentCount));
        await client.AssertHistoryBytesAsync();
    }

    [Fact]
    public async Task Renaming_a_folder_of_600_documents_moves_every_one_in_more_than_one_transaction_and_the_old_folder_is_gone()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var documents = Enumerable.Range(0, 600).ToDictionary(
            i => $"/music/album/{(i % 3 == 0 ? "disc1/" : i % 3 == 1 ? "disc2/bonus/" : "")}t{i:D3}",
            i => (Body(i), Types[i % Types.Length]),
            StringComparer.Ordinal);
        await PutAllAsync(client, documents);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/music/other", "stays")).Status);
        var before = await DocumentsAsync(server, client.User);
        var usage = await client.AccountAsync();
        var storedBefore = await server.StoredBlobKeysAsync();
        var musicTag = (await client.ListAsync("/music/")).ETag;

        var progress = new InlineProgress<MoveProgress>(_ => { });
        var report = await MoveAsync(server, client.User, "/music/album/", "/music/best-of/", progress);

        Assert.True(report.Completed, report.Failed?.Reason);
        Assert.Equal((600, 600), (report.Moved, report.Total));
        Assert.Equal([new MoveProgress(0, 600), new MoveProgress(500, 600), new MoveProgress(600, 600)], progress.Reports);
        foreach (var (path, (body, type)) in documents)
        {
            var moved = "/music/best-of/" + path["/music/album/".Length..];
            var served = await client.GetAsync(moved);
            Assert.True(served.Status == HttpStatusCode.OK, $"{moved}: {served.Status}");
            Assert.Equal(body, served.Body);
            Assert.Equal(type, served.ContentType);
            Assert.NotEqual(before[path].ETag, served.ETag!.Trim('"'));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/music/album/t002")).Status);
        var old = await client.ListAsync("/music/album/");
        Assert.Equal((HttpStatusCode.OK, 0), (old.Status, old.Items.Count));
        Assert.Empty((await client.ListAsync("/music/album/disc1/")).Items);
        var nodes = await NodesAsync(server, client.User);
        Assert.DoesNotContain(nodes.Keys, p => p.StartsWith("/music/album/", StringComparison.Ordinal));
        Assert.Equal(["best-of/", "other"], (await client.ListAsync("/music/")).Items.Keys.Order(StringComparer.Ordinal));
        Assert.NotEqual(musicTag, (await client.ListAsync("/music/")).ETag);
        Assert.Equal(["bonus/"], (await client.ListAsync("/music/best-of/disc2/")).Items.Keys);

        // Same bytes, not copies: the same blob keys and inline bytes, no blob added; usage unchanged.
        var after = await DocumentsAsync(server, client.User);
        foreach (var path in documents.Keys)
        {
            var moved = after["/music/best-of/" + path["/music/album/".Length..]];
            Assert.Equal((before[path].BlobKey, Label), (moved.BlobKey, moved.ModifiedBy));
            Assert.Equal(before[path].Inline, moved.Inline);
        }

        Assert.Equal(300, after.Values.Count(d => d.Inline is not null) - 1);
        Assert.Equal(storedBefore, await server.StoredBlobKeysAsync());
        var account = await client.AccountAsync();
        Assert.Equal((usage.UsedBytes, usage.DocumentCount), (account.UsedBytes, account.DocumentCount));
    }

    [Fact]
    public async Task With_history_on_the_old_paths_are_in_the_trash_and_restoring_one_brings_it_back_beside_the_moved_one()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var big = HistoryTestClient.Bytes(2_000, 7);
        var small = HistoryTestClient.Bytes(5, 8);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/x/big", big, "application/pdf")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/x/deep/small", small, "text/plain")).Status);

        var report = await MoveAsync(server, client.User, "/notes/x/", "/notes/y/");
        Assert.True(report.Completed, report.Failed?.Reason);

        var trash = await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/notes/x/")));
        Assert.Equal(["/notes/x/big", "/notes/x/deep/small"], trash.Select(t => t.Path.Value).Order(StringComparer.Ordinal));
        Assert.All(trash, t => Assert.Equal(Label, t.DeletedBy));
        await client.AssertHistoryBytesAsync();

        foreach (var item in trash)
        {
            var restored = await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, item.VersionId, HistoryLabels.AccountPage));
            Assert.Equal(RestoreStatus.Restored, restored.Status);
        }

        Assert.Equal(big, (await client.GetAsync("/notes/x/big")).Body);
        Assert.Equal("application/pdf", (await client.GetAsync("/notes/x/big")).ContentType);
        Assert.Equal(small, (await client.GetAsync("/notes/x/deep/small")).Body);
        Assert.Equal(big, (await client.GetAsync("/notes/y/big")).Body);
        var docs = await DocumentsAsync(server, client.User);
        Assert.Equal(docs["/notes/x/big"].BlobKey, docs["/notes/y/big"].BlobKey);

        // One of the two names of the shared blob goes: the other still reads it.
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/notes/y/big"));
        Assert.Equal(big, (await client.GetAsync("/notes/x/big")).Body);
        Assert.Contains(docs["/notes/x/big"].BlobKey!, await server.StoredBlobKeysAsync());
    }

    [Fact]
    public async Task A_user_at_100_percent_of_the_quota_can_still_move_and_the_usage_stays_the_same()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/photos/2024/a.jpg", HistoryTestClient.Bytes(3_000, 1), "image/jpeg")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/photos/2024/b.jpg", HistoryTestClient.Bytes(12, 2), "image/jpeg")).Status);
        var used = (await client.AccountAsync()).UsedBytes;
        await SetQuotaAsync(server, client.User, used);
        Assert.Equal(HttpStatusCode.InsufficientStorage, (await client.PutTextAsync("/photos/one-more", "x")).Status);

        var folder = await MoveAsync(server, client.User, "/photos/2024/", "/photos/holidays/");
        Assert.True(folder.Completed, folder.Failed?.Reason);
        var document = await MoveAsync(server, client.User, "/photos/holidays/a.jpg", "/photos/best.jpg");
        Assert.True(document.Completed, document.Failed?.Reason);

        // Over the quota (it was lowered): still allowed, a move adds nothing.
        await SetQuotaAsync(server, client.User, used - 1_000);
        var over = await MoveAsync(server, client.User, "/photos/best.jpg", "/photos/2024/a.jpg");
        Assert.True(over.Completed, over.Failed?.Reason);

        Assert.Equal(HistoryTestClient.Bytes(3_000, 1), (await client.GetAsync("/photos/2024/a.jpg")).Body);
        Assert.Equal(HistoryTestClient.Bytes(12, 2), (await client.GetAsync("/photos/holidays/b.jpg")).Body);
        var account = await client.AccountAsync();
        Assert.Equal((used, 2L), (account.UsedBytes, account.DocumentCount));

        // The versions the moves left in the trash are all still there (none was purged for room).
        Assert.Equal(4, (await client.VersionRowsAsync()).Count);
        await client.AssertHistoryBytesAsync();
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class MoveTests_Sqlite(SqliteServerFixture server) : MoveTests(server), IClassFixture<SqliteServerFixture>;

public sealed class MoveTests_PostgresS3(PostgresS3ServerFixture server) : MoveTests(server), IClassFixture<PostgresS3ServerFixture>;
