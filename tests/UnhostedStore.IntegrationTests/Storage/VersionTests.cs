using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Versions (draft-26 §4, §6): every PUT and DELETE gives the document and each ancestor up to
/// the root a new ETag, leaves unrelated folders alone, and the listings agree with the headers.
/// </summary>
public abstract class VersionTests(ServerFixture server)
{
    private const string Doc = "/a/b/c/doc";

    private static readonly string[] Chain = ["/", "/a/", "/a/b/", "/a/b/c/"];

    private static readonly string[] Unrelated = ["/a/other/", "/a/b/other/", "/z/", "/a/other/x", "/a/b/other/y", "/z/w", "/a/b/c/keep"];

    private StorageTestUser NewUser() => new(server);

    /// <summary>A tree with the document under test, a sibling in its folder, and unrelated
    /// folders at every level of its chain.</summary>
    private async Task<StorageTestUser> TreeAsync()
    {
        var user = NewUser();
        await user.PutOkAsync(Doc, "v1");
        await user.PutOkAsync("/a/b/c/keep", "keep");
        await user.PutOkAsync("/a/other/x", "x");
        await user.PutOkAsync("/a/b/other/y", "y");
        await user.PutOkAsync("/z/w", "w");
        return user;
    }

    private static async Task<Dictionary<string, string>> SnapshotAsync(StorageTestUser user, IEnumerable<string> paths)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            result[path] = await user.ETagAsync(path);
        }

        return result;
    }

    private static async Task AssertChangedAsync(StorageTestUser user, Dictionary<string, string> before, IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            var now = await user.ETagAsync(path);
            Assert.True(before[path] != now, $"ETag of {path} should have changed but is still {now}");
        }
    }

    private static async Task AssertUnchangedAsync(StorageTestUser user, Dictionary<string, string> before, IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            var now = await user.ETagAsync(path);
            Assert.True(before[path] == now, $"ETag of {path} changed from {before[path]} to {now}");
        }
    }

    [Fact]
    public async Task Put_replacing_a_document_changes_its_etag_and_every_ancestor_up_to_the_root()
    {
        var user = await TreeAsync();
        var before = await SnapshotAsync(user, [.. Chain, .. Unrelated, Doc]);

        using var put = await user.PutAsync(Doc, "v2");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.NotEqual(before[Doc], StorageTestUser.ETagOf(put));

        await AssertChangedAsync(user, before, [.. Chain, Doc]);
        await AssertUnchangedAsync(user, before, Unrelated);
    }

    [Fact]
    public async Task Put_with_identical_content_still_changes_every_version_in_the_chain()
    {
        var user = await TreeAsync();
        var before = await SnapshotAsync(user, [.. Chain, Doc]);

        await user.PutOkAsync(Doc, "v1");

        await AssertChangedAsync(user, before, [.. Chain, Doc]);
    }

    [Fact]
    public async Task Put_creating_a_document_changes_every_existing_ancestor_and_not_its_siblings()
    {
        var user = await TreeAsync();
        var before = await SnapshotAsync(user, [.. Chain, .. Unrelated]);

        using var put = await user.PutAsync("/a/b/c/new", "new");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        await AssertChangedAsync(user, before, Chain);
        await AssertUnchangedAsync(user, before, Unrelated);
    }

    [Fact]
    public async Task Put_creating_new_folders_gives_them_versions_and_changes_the_existing_ancestors()
    {
        var user = await TreeAsync();
        using var empty = await user.GetAsync("/a/b/c/d/");
        var emptyETag = StorageTestUser.ETagOf(empty)!;
        var before = await SnapshotAsync(user, [.. Chain, .. Unrelated]);

        await user.PutOkAsync("/a/b/c/d/e/new", "new");

        await AssertChangedAsync(user, before, Chain);
        await AssertUnchangedAsync(user, before, Unrelated);
        var d = await user.ETagAsync("/a/b/c/d/");
        var e = await user.ETagAsync("/a/b/c/d/e/");
        StorageTestUser.AssertStrongQuoted(d);
        StorageTestUser.AssertStrongQuoted(e);
        Assert.NotEqual(emptyETag, d);
        Assert.NotEqual(emptyETag, e);
        Assert.NotEqual(d, e);
    }

    [Fact]
    public async Task Delete_changes_every_ancestor_up_to_the_root_and_not_unrelated_folders()
    {
        var user = await TreeAsync();
        var unrelated = Unrelated.ToArray();
        var before = await SnapshotAsync(user, [.. Chain, .. unrelated]);

        using var delete = await user.DeleteAsync(Doc);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);

        await AssertChangedAsync(user, before, Chain);
        await AssertUnchangedAsync(user, before, unrelated);
        await user.AssertMissingAsync(Doc);
    }

    [Fact]
    public async Task Delete_that_prunes_folders_changes_the_remaining_ancestors()
    {
        var user = NewUser();
        await user.PutOkAsync("/a/b/c/only", "x");
        await user.PutOkAsync("/a/keep", "x");
        await user.PutOkAsync("/z/w", "w");
        var before = await SnapshotAsync(user, ["/", "/a/", "/a/b/", "/z/"]);
        using var missing = await user.GetAsync("/never/");

        (await user.DeleteAsync("/a/b/c/only")).Dispose();

        await AssertChangedAsync(user, before, ["/", "/a/", "/a/b/"]);
        await AssertUnchangedAsync(user, before, ["/z/"]);

        // The pruned folders are back to the version every empty folder has.
        Assert.Equal(StorageTestUser.ETagOf(missing), await user.ETagAsync("/a/b/"));
        Assert.Equal(StorageTestUser.ETagOf(missing), await user.ETagAsync("/a/b/c/"));
    }

    [Fact]
    public async Task Root_etag_changes_on_every_put_and_delete_and_all_versions_are_distinct()
    {
        var user = NewUser();
        var seen = new HashSet<string>(StringComparer.Ordinal) { await user.ETagAsync("/") };
        var docVersions = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            docVersions.Add(await user.PutOkAsync($"/m{i % 3}/doc", "same"));
            Assert.True(seen.Add(await user.ETagAsync("/")), "root ETag repeated after a PUT");
            if (i % 2 == 1)
            {
                using var delete = await user.DeleteAsync($"/m{i % 3}/doc");
                Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
                Assert.True(seen.Add(await user.ETagAsync("/")), "root ETag repeated after a DELETE");
            }
        }

        Assert.Equal(8, docVersions.Count);
    }

    [Fact]
    public async Task Listings_carry_the_same_versions_as_the_headers_after_every_change()
    {
        var user = await TreeAsync();
        foreach (var change in new Func<Task>[]
        {
            async () => await user.PutOkAsync(Doc, "v2"),
            async () => (await user.DeleteAsync("/a/b/c/keep")).Dispose(),
            async () => await user.PutOkAsync("/a/b/c/more", "m"),
        })
        {
            await change();
            var docETag = await user.ETagAsync(Doc);
            var (_, c) = await user.ListAsync("/a/b/c/");
            Assert.Equal(StorageTestUser.Unquote(docETag), c.GetProperty("items").GetProperty("doc").GetProperty("ETag").GetString());
            foreach (var (parent, child) in new[] { ("/", "a/"), ("/a/", "b/"), ("/a/b/", "c/") })
            {
                var (_, listing) = await user.ListAsync(parent);
                var childETag = await user.ETagAsync(parent + child[..^1] + "/");
                Assert.Equal(StorageTestUser.Unquote(childETag), listing.GetProperty("items").GetProperty(child).GetProperty("ETag").GetString());
            }
        }
    }

    [Fact]
    public async Task Failed_writes_change_no_version()
    {
        var user = await TreeAsync();
        string[] all = ["/", "/a/", "/a/b/", "/a/b/c/", Doc, .. Unrelated];
        var before = await SnapshotAsync(user, all);

        var failures = new List<HttpResponseMessage>
        {
            await user.PutAsync(Doc, "x", configure: r => r.Headers.TryAddWithoutValidation("If-Match", "\"stale\"")),
            await user.PutAsync(Doc, "x", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "*")),
            await user.PutAsync("/a/b/c/doc/child", "x"),
            await user.PutAsync("/a/b", "x"),
            await user.PutAsync(Doc, [1, 2, 3], contentType: null),
            await user.PutAsync(Doc, new byte[ServerFixture.MaxDocumentBytes + 1], "application/octet-stream"),
            await user.DeleteAsync(Doc, r => r.Headers.TryAddWithoutValidation("If-Match", "\"stale\"")),
            await user.DeleteAsync("/a/b/c/missing"),
            await user.DeleteAsync("/a/b/"),
        };
        Assert.Equal(
            [412, 412, 409, 409, 400, 413, 412, 404, 400],
            failures.Select(r => (int)r.StatusCode).ToArray());
        failures.ForEach(r => r.Dispose());

        await AssertUnchangedAsync(user, before, all);
        await user.AssertDocumentAsync(Doc, "v1", "text/plain", before[Doc]);
    }

    [Fact]
    public async Task Another_users_writes_do_not_change_this_users_versions()
    {
        var user = await TreeAsync();
        var other = NewUser();
        var before = await SnapshotAsync(user, ["/", "/a/", Doc]);

        await other.PutOkAsync(Doc, "other");
        (await other.DeleteAsync(Doc)).Dispose();

        await AssertUnchangedAsync(user, before, ["/", "/a/", Doc]);
    }

    [Fact]
    public async Task Reads_do_not_change_versions()
    {
        var user = await TreeAsync();
        var before = await SnapshotAsync(user, [.. Chain, Doc]);
        (await user.HeadAsync(Doc)).Dispose();
        (await user.GetAsync(Doc, r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-0"))).Dispose();
        (await user.GetAsync("/a/b/c/", r => r.Headers.TryAddWithoutValidation("If-None-Match", before["/a/b/c/"]))).Dispose();
        await AssertUnchangedAsync(user, before, [.. Chain, Doc]);
    }
}

public sealed class VersionTests_Sqlite(SqliteServerFixture server) : VersionTests(server), IClassFixture<SqliteServerFixture>;

public sealed class VersionTests_Postgres(PostgresServerFixture server) : VersionTests(server), IClassFixture<PostgresServerFixture>;

public sealed class VersionTests_PostgresS3(PostgresS3ServerFixture server) : VersionTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class VersionTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : VersionTests(server);
