using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>
/// Every overwrite and delete can be undone: one version of one document, or a whole folder as it
/// was at a point in time, each restore an ordinary write (new ETag, new folder versions). Blob
/// documents are those over the fixtures' 16-byte inline limit.
/// </summary>
public abstract class RestoreTests(HistoryServerFixture server)
{
    private const string App = "https://app.example";

    [Fact]
    public async Task An_overwritten_document_comes_back_byte_for_byte_with_its_type_under_a_new_etag_and_new_folder_versions()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var v1 = HistoryTestClient.Bytes(3000, 1);
        var (created, v1Tag) = await client.PutAsync("/photos/2026/cat.png", v1, "image/png");
        Assert.Equal(HttpStatusCode.Created, created);
        var app = await client.AsAppAsync(App);
        var (updated, v2Tag) = await app.PutTextAsync("/photos/2026/cat.png", "not a cat");
        Assert.Equal(HttpStatusCode.OK, updated);

        var versions = await client.HistoryAsync(h => h.ListVersionsAsync(client.User, StoragePath.FromStored("/photos/2026/cat.png")));
        Assert.Equal(v2Tag, versions.Current!.ETag.Quoted);
        Assert.Equal(App, versions.Current.CreatedBy);
        var old = Assert.Single(versions.Retained);
        Assert.Equal(v1Tag, old.ETag.Quoted);
        Assert.Equal(("image/png", 3000L, TestTokens.Origin, App, false), (old.ContentType, old.ContentLength, old.CreatedBy, old.ReplacedBy, old.Deleted));
        await using (var opened = await client.HistoryAsync(h => h.OpenVersionAsync(client.User, old.Id!.Value)))
        {
            using var copy = new MemoryStream();
            await opened!.Content.CopyToAsync(copy);
            Assert.Equal(v1, copy.ToArray());
        }

        var folderBefore = (await client.ListAsync("/photos/2026/")).ETag;
        var rootBefore = (await client.ListAsync("/")).ETag;
        var outcome = await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, old.Id!.Value, HistoryLabels.AccountPage));
        Assert.Equal(RestoreStatus.Restored, outcome.Status);

        var served = await client.GetAsync("/photos/2026/cat.png");
        Assert.Equal(v1, served.Body);
        Assert.Equal("image/png", served.ContentType);
        Assert.Equal(outcome.NewETag!.Value.Quoted, served.ETag);
        Assert.NotEqual(v1Tag, served.ETag);
        Assert.NotEqual(v2Tag, served.ETag);
        Assert.NotEqual(folderBefore, (await client.ListAsync("/photos/2026/")).ETag);
        Assert.NotEqual(rootBefore, (await client.ListAsync("/")).ETag);

        // The restore replaced "not a cat": that version is history now, so the restore can be undone.
        var after = await client.HistoryAsync(h => h.ListVersionsAsync(client.User, StoragePath.FromStored("/photos/2026/cat.png")));
        Assert.Equal(HistoryLabels.AccountPage, after.Current!.CreatedBy);
        Assert.Equal(v2Tag, after.Retained[0].ETag.Quoted);
        Assert.Equal(HistoryLabels.AccountPage, after.Retained[0].ReplacedBy);
        var undo = await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, after.Retained[0].Id!.Value, HistoryLabels.AccountPage));
        Assert.Equal(RestoreStatus.Restored, undo.Status);
        served = await client.GetAsync("/photos/2026/cat.png");
        Assert.Equal("not a cat", System.Text.Encoding.UTF8.GetString(served.Body));
        Assert.Equal("text/plain; charset=utf-8", served.ContentType);
        await client.AssertHistoryBytesAsync();
    }

    [Fact]
    public async Task A_deleted_document_is_in_the_trash_until_restored_and_comes_back_exactly()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var small = HistoryTestClient.Bytes(12, 2);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/sub/small", small, "application/x-thing; v=1")).Status);
        var big = HistoryTestClient.Bytes(5000, 3);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/sub/deeper/big", big, "application/octet-stream")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/stays", "stays")).Status);
        var rootBefore = (await client.ListAsync("/notes/")).ETag;

        var app = await client.AsAppAsync(App);
        Assert.Equal(HttpStatusCode.OK, await app.DeleteAsync("/notes/sub/small"));
        Assert.Equal(HttpStatusCode.OK, await app.DeleteAsync("/notes/sub/deeper/big"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/sub/small")).Status);
        Assert.Empty((await client.ListAsync("/notes/sub/")).Items);

        var trash = await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/notes/")));
        Assert.Equal(["/notes/sub/deeper/big", "/notes/sub/small"], trash.Select(t => t.Path.Value).Order(StringComparer.Ordinal));
        var bigItem = trash.Single(t => t.Path.Value == "/notes/sub/deeper/big");
        Assert.Equal(("notes", "/notes/sub/deeper/", 5000L, App), (bigItem.Module, bigItem.Folder.Value, bigItem.ContentLength, bigItem.DeletedBy));
        Assert.Single(await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/notes/sub/deeper/"))));
        Assert.Empty(await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/photos/"))));

        foreach (var item in trash)
        {
            Assert.Equal(RestoreStatus.Restored, (await client.HistoryAsync(h => h.RestoreVersionAsync(client.User, item.VersionId, HistoryLabels.AccountPage))).Status);
        }

        var smallServed = await client.GetAsync("/notes/sub/small");
        Assert.Equal(small, smallServed.Body);
        Assert.Equal("application/x-thing; v=1", smallServed.ContentType);
        var bigServed = await client.GetAsync("/notes/sub/deeper/big");
        Assert.Equal(big, bigServed.Body);
        Assert.Equal("application/octet-stream", bigServed.ContentType);
        Assert.NotEqual(rootBefore, (await client.ListAsync("/notes/")).ETag);
        Assert.Equal(["deeper/", "small"], (await client.ListAsync("/notes/sub/")).Items.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(await client.HistoryAsync(h => h.ListTrashAsync(client.User, StoragePath.FromStored("/notes/"))));
        await client.AssertHistoryBytesAsync();
    }

    [Fact]
    public async Task A_folder_of_200_documents_goes_back_to_how_it_was_after_an_app_overwrote_half_deleted_a_quarter_and_added_some()
    {
        var client = await HistoryTestClient.NewAsync(server);
        string[] types = ["application/octet-stream", "text/plain; charset=utf-8", "image/png", "application/json", "application/x-custom; a=\"b c\""];
        var original = new Dictionary<string, (byte[] Body, string Type, string ETag)>(StringComparer.Ordinal);
        for (var i = 0; i < 200; i++)
        {
            var path = i % 2 == 0 ? $"/notes/tree/a/{i}" : $"/notes/tree/b/c/{i}";
            var body = HistoryTestClient.Bytes(i % 3 == 0 ? 1 + (i % 16) : 17 + (i * 37 % 3000), 100 + i);
            var (status, etag) = await client.PutAsync(path, body, types[i % types.Length]);
            Assert.Equal(HttpStatusCode.Created, status);
            original[path] = (body, types[i % types.Length], etag!);
        }

        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/outside", "before")).Status);
        var listingBefore = await client.ListAsync("/notes/tree/");
        await Task.Delay(50);
        var asOf = DateTime.UtcNow;
        await Task.Delay(50);

        var app = await client.AsAppAsync(App);
        var paths = original.Keys.Order(StringComparer.Ordinal).ToList();
        var (overwritten, deleted, reborn, unchanged) = (new List<string>(), new List<string>(), new List<string>(), new List<string>());
        for (var n = 0; n < paths.Count; n++)
        {
            var path = paths[n];
            switch (n % 4)
            {
                case 0 or 2:
                    // Small ones grow into blobs and large ones shrink to inline; some twice.
                    var size = original[path].Body.Length <= 16 ? 500 : 10;
                    Assert.Equal(HttpStatusCode.OK, (await app.PutAsync(path, HistoryTestClient.Bytes(size, 9000 + n), "text/x-app")).Status);
                    if (n % 8 == 0)
                    {
                        Assert.Equal(HttpStatusCode.OK, (await app.PutAsync(path, HistoryTestClient.Bytes(size + 3, 19000 + n), "text/x-app2")).Status);
                    }

                    overwritten.Add(path);
                    break;
                case 1:
                    Assert.Equal(HttpStatusCode.OK, await app.DeleteAsync(path));
                    if (n % 16 == 1)
                    {
                        // Deleted and created again since: still set back to the version it had then.
                        Assert.Equal(HttpStatusCode.Created, (await app.PutTextAsync(path, "reborn")).Status);
                        reborn.Add(path);
                    }

                    deleted.Add(path);
                    break;
                default:
                    unchanged.Add(path);
                    break;
            }
        }

        var created = Enumerable.Range(0, 10).Select(k => $"/notes/tree/new/{k}").Concat(Enumerable.Range(0, 10).Select(k => $"/notes/tree/a/new{k}")).ToList();
        foreach (var path in created)
        {
            Assert.Equal(HttpStatusCode.Created, (await app.PutAsync(path, HistoryTestClient.Bytes(40, path.Length), "text/x-new")).Status);
        }

        // Outside the folder, and names that only look alike: not touched by the restore.
        Assert.Equal(HttpStatusCode.OK, (await app.PutTextAsync("/notes/outside", "after")).Status);
        Assert.Equal(HttpStatusCode.Created, (await app.PutTextAsync("/notes/TREE/y", "other case")).Status);
        Assert.Equal(HttpStatusCode.Created, (await app.PutTextAsync("/notes/tree2/z", "other folder")).Status);

        var sample = await client.HistoryAsync(h => h.ListVersionsAsync(client.User, StoragePath.FromStored(overwritten[1])));
        Assert.Equal(App, sample.Retained[0].ReplacedBy);
        Assert.Equal(TestTokens.Origin, sample.Retained[0].CreatedBy);

        var folder = StoragePath.FromStored("/notes/tree/");
        var plan = await client.HistoryAsync(h => h.PlanFolderRestoreAsync(client.User, folder, asOf));
        Assert.Equal((150, 20, 50), (plan.ToRestore, plan.ToDelete, plan.Unchanged));
        Assert.Equal(created.Order(StringComparer.Ordinal), plan.Changes.Where(c => c.Action == RestoreAction.Delete).Select(c => c.Path.Value));
        var grown = plan.Changes.Single(c => c.Path.Value == overwritten[0]);
        Assert.Equal(original[overwritten[0]].Body.Length, grown.ToLength);

        var progress = new List<FolderRestoreProgress>();
        var report = await client.HistoryAsync(h => h.ApplyPlanAsync(plan, HistoryLabels.AccountPage, new SyncProgress<FolderRestoreProgress>(progress.Add)));
        Assert.Empty(report.Failed);
        Assert.Equal((150, 20, 50), (report.Restored, report.Deleted, report.Unchanged));
        Assert.Equal(new FolderRestoreProgress(170, 170), progress[^1]);

        foreach (var (path, (body, type, etag)) in original)
        {
            var served = await client.GetAsync(path);
            Assert.True(served.Status == HttpStatusCode.OK, $"{path}: {served.Status}");
            Assert.True(body.AsSpan().SequenceEqual(served.Body), $"{path}: bytes differ");
            Assert.Equal(type, served.ContentType);
            if (unchanged.Contains(path))
            {
                Assert.Equal(etag, served.ETag);
            }
            else
            {
                Assert.NotEqual(etag, served.ETag);
            }
        }

        foreach (var path in created)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).Status);
        }

        Assert.Equal("after", System.Text.Encoding.UTF8.GetString((await client.GetAsync("/notes/outside")).Body));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/notes/TREE/y")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/notes/tree2/z")).Status);
        var listingAfter = await client.ListAsync("/notes/tree/");
        Assert.Equal(listingBefore.Items.Keys.Order(StringComparer.Ordinal), listingAfter.Items.Keys.Order(StringComparer.Ordinal));
        Assert.NotEqual(listingBefore.ETag, listingAfter.ETag);
        Assert.Equal(100, (await client.ListAsync("/notes/tree/a/")).Items.Count);

        // Nothing the restore replaced or deleted is lost: the app's versions are history now.
        var restoredBy = (await client.VersionRowsAsync()).Where(v => v.ReplacedBy == HistoryLabels.AccountPage).ToList();
        Assert.Equal(overwritten.Count + reborn.Count + created.Count, restoredBy.Count);
        Assert.Equal((100, 50), (overwritten.Count, deleted.Count));
        await client.AssertHistoryBytesAsync();
    }

    [Fact]
    public async Task A_document_changed_after_the_restore_was_planned_is_reported_and_left_as_it_is()
    {
        var client = await HistoryTestClient.NewAsync(server);
        foreach (var name in new[] { "a", "b", "c" })
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync($"/notes/f/{name}", "old " + name + " with some length")).Status);
        }

        await Task.Delay(50);
        var asOf = DateTime.UtcNow;
        await Task.Delay(50);
        foreach (var name in new[] { "a", "b" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PutTextAsync($"/notes/f/{name}", "new " + name)).Status);
        }

        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/f/d", "created since")).Status);
        var plan = await client.HistoryAsync(h => h.PlanFolderRestoreAsync(client.User, StoragePath.FromStored("/notes/f/"), asOf));
        Assert.Equal((2, 1, 1), (plan.ToRestore, plan.ToDelete, plan.Unchanged));

        // Meanwhile an app writes again to a and d.
        Assert.Equal(HttpStatusCode.OK, (await client.PutTextAsync("/notes/f/a", "newest a")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PutTextAsync("/notes/f/d", "newest d")).Status);

        var report = await client.HistoryAsync(h => h.ApplyPlanAsync(plan, HistoryLabels.CommandLine));
        Assert.Equal((1, 0, 1), (report.Restored, report.Deleted, report.Unchanged));
        Assert.Equal(["/notes/f/a", "/notes/f/d"], report.Failed.Select(f => f.Path.Value).Order(StringComparer.Ordinal));
        Assert.All(report.Failed, f => Assert.Contains("changed", f.Reason, StringComparison.Ordinal));
        Assert.Equal("newest a", System.Text.Encoding.UTF8.GetString((await client.GetAsync("/notes/f/a")).Body));
        Assert.Equal("newest d", System.Text.Encoding.UTF8.GetString((await client.GetAsync("/notes/f/d")).Body));
        Assert.Equal("old b with some length", System.Text.Encoding.UTF8.GetString((await client.GetAsync("/notes/f/b")).Body));
    }

    [Fact]
    public async Task A_document_whose_version_from_then_is_no_longer_kept_is_left_as_it_is_and_never_deleted()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/g/kept", "existed then")).Status);
        await Task.Delay(50);
        var asOf = DateTime.UtcNow;
        await Task.Delay(50);
        Assert.Equal(HttpStatusCode.OK, (await client.PutTextAsync("/notes/g/kept", "changed since")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/notes/g/new", "created since")).Status);

        // The version that covered the moment goes (as expiry or the per-document limit would).
        var covering = Assert.Single(await client.VersionRowsAsync(), v => v.Path == "/notes/g/kept");
        Assert.True(await client.HistoryAsync(h => h.DeleteVersionAsync(client.User, covering.Id)));

        var plan = await client.HistoryAsync(h => h.PlanFolderRestoreAsync(client.User, StoragePath.FromStored("/notes/g/"), asOf));
        Assert.Equal((0, 1, 0, 1), (plan.ToRestore, plan.ToDelete, plan.Unchanged, plan.NotKept));
        Assert.Equal(RestoreAction.NotKept, plan.Changes.Single(c => c.Path.Value == "/notes/g/kept").Action);

        var report = await client.HistoryAsync(h => h.ApplyPlanAsync(plan, HistoryLabels.CommandLine));
        Assert.Equal((0, 1, 1), (report.Restored, report.Deleted, report.NotKept));
        Assert.Equal("changed since", System.Text.Encoding.UTF8.GetString((await client.GetAsync("/notes/g/kept")).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/g/new")).Status);
    }

    [Fact]
    public async Task History_is_reachable_only_by_its_owner()
    {
        var alice = await HistoryTestClient.NewAsync(server);
        var bob = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await alice.PutAsync("/notes/secret", HistoryTestClient.Bytes(100, 5), "text/plain")).Status);
        Assert.Equal(HttpStatusCode.OK, await alice.DeleteAsync("/notes/secret"));
        var id = Assert.Single(await alice.VersionRowsAsync()).Id;

        Assert.Null(await bob.HistoryAsync(h => h.OpenVersionAsync(bob.User, id)));
        Assert.Equal(RestoreStatus.NotFound, (await bob.HistoryAsync(h => h.RestoreVersionAsync(bob.User, id, null))).Status);
        Assert.False(await bob.HistoryAsync(h => h.DeleteVersionAsync(bob.User, id)));
        Assert.Empty(await bob.HistoryAsync(h => h.ListTrashAsync(bob.User, StoragePath.Root)));
        Assert.Equal(0, (await bob.HistoryAsync(h => h.PurgeAsync(bob.User, null))).Versions);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/notes/secret")).Status);

        Assert.Single(await alice.VersionRowsAsync());
        Assert.Single(await alice.HistoryAsync(h => h.ListTrashAsync(alice.User, StoragePath.Root)));
    }

    /// <summary>Reports at once, on the reporting thread (<see cref="Progress{T}"/> posts later).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

public sealed class RestoreTests_Sqlite(HistorySqliteFixture server) : RestoreTests(server), IClassFixture<HistorySqliteFixture>;

public sealed class RestoreTests_Postgres(HistoryPostgresFixture server) : RestoreTests(server), IClassFixture<HistoryPostgresFixture>;

public sealed class RestoreTests_PostgresS3(HistoryPostgresS3Fixture server) : RestoreTests(server), IClassFixture<HistoryPostgresS3Fixture>;
