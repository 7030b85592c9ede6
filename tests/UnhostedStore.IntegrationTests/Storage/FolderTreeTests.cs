using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// The folder tree (draft-26 §3–§4): implicit creation, pruning of folders left empty, the
/// document/folder name clash (409), and PUT or DELETE of a folder URL (400).
/// </summary>
public abstract class FolderTreeTests(ServerFixture server)
{
    private StorageTestUser NewUser() => new(server);

    [Fact]
    public async Task Folder_emptied_by_delete_answers_like_a_missing_folder()
    {
        var user = NewUser();
        using var missing = await user.GetAsync("/never/");
        var missingBody = await missing.Content.ReadAsStringAsync();

        await user.PutOkAsync("/gone/a", "x");
        (await user.DeleteAsync("/gone/a")).Dispose();

        using var emptied = await user.GetAsync("/gone/");
        Assert.Equal(HttpStatusCode.OK, emptied.StatusCode);
        Assert.Equal(StorageTestUser.ETagOf(missing), StorageTestUser.ETagOf(emptied));
        Assert.Equal(missingBody, await emptied.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Empty_folders_are_not_listed_in_their_parent()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/keep", "x");
        await user.PutOkAsync("/notes/sub/deep/only", "x");
        (await user.DeleteAsync("/notes/sub/deep/only")).Dispose();

        Assert.Equal(["keep"], await user.ItemNamesAsync("/notes/"));
        Assert.Equal(["notes/"], await user.ItemNamesAsync("/"));
        Assert.Empty(await user.ItemNamesAsync("/notes/sub/"));
        Assert.Empty(await user.ItemNamesAsync("/notes/sub/deep/"));
    }

    [Fact]
    public async Task Deleting_the_last_document_prunes_every_ancestor_left_empty_up_to_the_root()
    {
        var user = NewUser();
        await user.PutOkAsync("/a/b/c/d/doc", "x");
        Assert.Equal(["a/"], await user.ItemNamesAsync("/"));

        using var delete = await user.DeleteAsync("/a/b/c/d/doc");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        using var missing = await user.GetAsync("/never/");
        Assert.Equal(StorageTestUser.ETagOf(missing), await user.ETagAsync("/"));

        foreach (var folder in new[] { "/", "/a/", "/a/b/", "/a/b/c/", "/a/b/c/d/" })
        {
            Assert.Empty(await user.ItemNamesAsync(folder));
        }

        await using var scope = server.CreateScope();
        Assert.Equal(0, await ServerFixture.Db(scope).Nodes.CountAsync(n => n.Owner == user.Name));
    }

    [Fact]
    public async Task Pruning_stops_at_the_first_ancestor_that_still_holds_something()
    {
        var user = NewUser();
        await user.PutOkAsync("/a/b/c/doc", "x");
        await user.PutOkAsync("/a/b2/doc", "x");
        await user.PutOkAsync("/a/sibling", "x");

        (await user.DeleteAsync("/a/b/c/doc")).Dispose();

        Assert.Equal(["b2/", "sibling"], (await user.ItemNamesAsync("/a/")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["a/"], await user.ItemNamesAsync("/"));
        Assert.Empty(await user.ItemNamesAsync("/a/b/"));

        (await user.DeleteAsync("/a/sibling")).Dispose();
        Assert.Equal(["b2/"], await user.ItemNamesAsync("/a/"));
        (await user.DeleteAsync("/a/b2/doc")).Dispose();
        Assert.Empty(await user.ItemNamesAsync("/"));
    }

    [Fact]
    public async Task A_pruned_folder_name_can_be_reused_as_a_document()
    {
        var user = NewUser();
        await user.PutOkAsync("/a/b/c", "x");
        (await user.DeleteAsync("/a/b/c")).Dispose();

        using var put = await user.PutAsync("/a/b", "now a document");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(["b"], await user.ItemNamesAsync("/a/"));
    }

    [Fact]
    public async Task Get_of_a_folder_url_whose_name_is_a_document_answers_an_empty_listing()
    {
        var user = NewUser();
        await user.PutOkAsync("/a", "I am a document");
        using var missing = await user.GetAsync("/never/");

        using var response = await user.GetAsync("/a/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/ld+json", StorageTestUser.Header(response, "Content-Type"));
        Assert.Equal(StorageTestUser.ETagOf(missing), StorageTestUser.ETagOf(response));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Empty(json.RootElement.GetProperty("items").EnumerateObject());
    }

    [Fact]
    public async Task Get_of_a_document_url_whose_name_is_a_folder_answers_404()
    {
        var user = NewUser();
        await user.PutOkAsync("/a/b", "x");
        await user.AssertMissingAsync("/a");
    }

    [Theory]
    [InlineData("/a/b/c", "/a/b")] // document where a folder exists
    [InlineData("/a/b", "/a/b/c")] // folder where a document exists
    [InlineData("/a", "/a/b/c/d")] // deep: first segment is a document
    [InlineData("/x/y/z", "/x/y/z/w/v/u")] // deep: an inner segment is a document
    [InlineData("/x/y/z/w/v/u", "/x/y")] // deep: the target's name is a folder several levels up
    public async Task Put_that_clashes_with_an_existing_document_or_folder_answers_409_and_changes_nothing(string existing, string clashing)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync(existing, "existing");
        var rootETag = await user.ETagAsync("/");

        using var put = await user.PutAsync(clashing, "clash");
        Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);
        await user.AssertMissingAsync(clashing);

        await user.AssertDocumentAsync(existing, "existing", "text/plain", etag);
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Put_of_a_document_named_like_a_folder_answers_409_and_keeps_the_folder_listing()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/b/c", "x");
        await user.PutOkAsync("/notes/b/d", "y");
        var (folderETag, _) = await user.ListAsync("/notes/b/");

        using var put = await user.PutAsync("/notes/b", "clash");
        Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);

        var (afterETag, listing) = await user.ListAsync("/notes/b/");
        Assert.Equal(folderETag, afterETag);
        Assert.Equal(["c", "d"], listing.GetProperty("items").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["b/"], await user.ItemNamesAsync("/notes/"));
    }

    [Fact]
    public async Task Put_of_a_document_at_a_folder_url_answers_400_and_stores_nothing()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "x");
        var rootETag = await user.ETagAsync("/");

        using var put = await user.PutAsync("/notes/", "folder body", "application/ld+json");
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        using var putNew = await user.PutAsync("/other/", "folder body");
        Assert.Equal(HttpStatusCode.BadRequest, putNew.StatusCode);
        using var putRoot = await user.PutAsync("/", "root body");
        Assert.Equal(HttpStatusCode.BadRequest, putRoot.StatusCode);

        Assert.Equal(rootETag, await user.ETagAsync("/"));
        Assert.Equal(["notes/"], await user.ItemNamesAsync("/"));
    }

    [Fact]
    public async Task Delete_of_a_folder_url_answers_400_and_deletes_nothing()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        var rootETag = await user.ETagAsync("/");

        using var delete = await user.DeleteAsync("/notes/");
        Assert.Equal(HttpStatusCode.BadRequest, delete.StatusCode);
        using var deleteRoot = await user.DeleteAsync("/");
        Assert.Equal(HttpStatusCode.BadRequest, deleteRoot.StatusCode);

        await user.AssertDocumentAsync("/notes/a", "x", "text/plain", etag);
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Concurrent_puts_and_deletes_in_shared_folders_keep_listings_and_pruning_consistent()
    {
        var user = NewUser();
        var paths = Enumerable.Range(0, 12).Select(i => $"/shared/f{i % 3}/doc{i}").ToArray();

        var puts = await Task.WhenAll(paths.Select(p => user.PutAsync(p, p)));
        Assert.All(puts, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Array.ForEach(puts, r => r.Dispose());

        Assert.Equal(["f0/", "f1/", "f2/"], (await user.ItemNamesAsync("/shared/")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(4, (await user.ItemNamesAsync("/shared/f1/")).Length);

        var deletes = await Task.WhenAll(paths.Select(p => user.DeleteAsync(p)));
        Assert.All(deletes, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Array.ForEach(deletes, r => r.Dispose());

        Assert.Empty(await user.ItemNamesAsync("/"));
        Assert.Empty(await user.ItemNamesAsync("/shared/"));
        await using var scope = server.CreateScope();
        Assert.Equal(0, await ServerFixture.Db(scope).Nodes.CountAsync(n => n.Owner == user.Name));
    }
}

public sealed class FolderTreeTests_Sqlite(SqliteServerFixture server) : FolderTreeTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FolderTreeTests_Postgres(PostgresServerFixture server) : FolderTreeTests(server), IClassFixture<PostgresServerFixture>;

public sealed class FolderTreeTests_PostgresS3(PostgresS3ServerFixture server) : FolderTreeTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class FolderTreeTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : FolderTreeTests(server);
