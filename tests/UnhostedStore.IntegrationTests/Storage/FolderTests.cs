using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Folders (draft-26 §3–§4): the JSON-LD listing, implicit creation and pruning, missing and
/// empty folders, and the document/folder name clash (409).
/// </summary>
public abstract class FolderTests(ServerFixture server)
{
    private const string FolderContext = "http://remotestorage.io/spec/folder-description";

    private StorageTestUser NewUser() => new(server);

    [Fact]
    public async Task Listing_has_exactly_context_and_items_with_the_documented_item_shapes()
    {
        var user = NewUser();
        var docETag = await user.PutOkAsync("/notes/a", "abc", "text/plain; charset=UTF-8");
        await user.PutOkAsync("/notes/sub/b", "x");
        var subETag = await user.ETagAsync("/notes/sub/");

        using var response = await user.GetAsync("/notes/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;

        Assert.Equal(["@context", "items"], root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(FolderContext, root.GetProperty("@context").GetString());
        var items = root.GetProperty("items");
        Assert.Equal(JsonValueKind.Object, items.ValueKind);
        Assert.Equal(["a", "sub/"], items.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());

        var a = items.GetProperty("a");
        Assert.Equal(
            ["Content-Length", "Content-Type", "ETag", "Last-Modified"],
            a.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(StorageTestUser.Unquote(docETag), a.GetProperty("ETag").GetString());
        Assert.Equal("text/plain; charset=UTF-8", a.GetProperty("Content-Type").GetString());
        Assert.Equal(JsonValueKind.Number, a.GetProperty("Content-Length").ValueKind);
        Assert.Equal("3", a.GetProperty("Content-Length").GetRawText());
        Assert.Equal(JsonValueKind.String, a.GetProperty("Last-Modified").ValueKind);

        var sub = items.GetProperty("sub/");
        Assert.Equal(["ETag"], sub.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(StorageTestUser.Unquote(subETag), sub.GetProperty("ETag").GetString());
    }

    [Fact]
    public async Task Listing_etags_are_unquoted_and_equal_to_the_header_etags()
    {
        var user = NewUser();
        var e1 = await user.PutOkAsync("/notes/one", "1");
        var e2 = await user.PutOkAsync("/notes/two", "22");
        var (_, listing) = await user.ListAsync("/notes/");
        var items = listing.GetProperty("items");
        foreach (var (name, etag) in new[] { ("one", e1), ("two", e2) })
        {
            var value = items.GetProperty(name).GetProperty("ETag").GetString()!;
            Assert.DoesNotContain("\"", value, StringComparison.Ordinal);
            Assert.Equal(etag, "\"" + value + "\"");
        }

        Assert.Equal(2, items.GetProperty("two").GetProperty("Content-Length").GetInt64());
    }

    [Fact]
    public async Task Listing_content_length_is_an_integer_number_of_octets()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/utf8", "é€😀"); // 2 + 3 + 4 octets
        var (_, listing) = await user.ListAsync("/notes/");
        var length = listing.GetProperty("items").GetProperty("utf8").GetProperty("Content-Length");
        Assert.Equal("9", length.GetRawText());
    }

    [Fact]
    public async Task Listing_last_modified_is_a_zero_padded_imf_fixdate_in_gmt()
    {
        var user = NewUser();
        var before = DateTime.UtcNow.AddSeconds(-5);
        await user.PutOkAsync("/notes/a", "x");
        var after = DateTime.UtcNow.AddSeconds(5);

        var (_, listing) = await user.ListAsync("/notes/");
        var value = listing.GetProperty("items").GetProperty("a").GetProperty("Last-Modified").GetString()!;
        Assert.Matches(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$", value);
        var parsed = DateTime.ParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.InRange(parsed, before.AddSeconds(-1), after);
        Assert.Equal(value, parsed.ToString("r", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Folder_get_has_ld_json_content_type_no_cache_and_a_strong_quoted_etag()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "x");
        using var response = await user.GetAsync("/notes/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/ld+json", StorageTestUser.Header(response, "Content-Type"));
        Assert.Equal("no-cache", StorageTestUser.Header(response, "Cache-Control"));
        StorageTestUser.AssertStrongQuoted(StorageTestUser.ETagOf(response));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length.ToString(CultureInfo.InvariantCulture), StorageTestUser.Header(response, "Content-Length"));
    }

    [Fact]
    public async Task Root_listing_shows_top_level_folders_and_documents()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "x");
        await user.PutOkAsync("/contacts/b", "x");
        await user.PutOkAsync("/top", "x");
        await user.PutOkAsync("/public/notes/c", "x");
        Assert.Equal(
            ["contacts/", "notes/", "public/", "top"],
            (await user.ItemNamesAsync("/")).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Missing_folder_answers_200_with_empty_items_and_the_same_etag_every_time()
    {
        var user = NewUser();
        var other = NewUser();
        await user.PutOkAsync("/notes/a", "x");

        var etags = new List<string>();
        foreach (var (who, path) in new[] { (user, "/nothing/"), (user, "/nothing/"), (user, "/notes/deeper/still/"), (other, "/"), (other, "/notes/") })
        {
            using var response = await who.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/ld+json", StorageTestUser.Header(response, "Content-Type"));
            Assert.Equal("no-cache", StorageTestUser.Header(response, "Cache-Control"));
            var etag = StorageTestUser.ETagOf(response);
            StorageTestUser.AssertStrongQuoted(etag);
            etags.Add(etag!);

            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(FolderContext, json.RootElement.GetProperty("@context").GetString());
            Assert.Empty(json.RootElement.GetProperty("items").EnumerateObject());
        }

        Assert.Single(etags.Distinct());
    }

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
    public async Task Head_of_a_folder_has_exactly_the_headers_of_get_and_no_body()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "x");
        await user.PutOkAsync("/notes/b/c", "x");

        foreach (var folder in new[] { "/notes/", "/", "/missing/" })
        {
            using var get = await user.GetAsync(folder);
            using var head = await user.HeadAsync(folder);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(StorageTestUser.HeadersWithoutDate(get), StorageTestUser.HeadersWithoutDate(head));
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            Assert.NotEqual("0", StorageTestUser.Header(head, "Content-Length"));
        }
    }

    [Fact]
    public async Task Listing_shows_unicode_and_special_names_decoded()
    {
        var user = NewUser();
        await user.PutOkAsync("/pictures/Capture%20d%27%C3%A9cran.jpg", "x", "image/jpeg");
        await user.PutOkAsync("/pictures/%C3%A9t%C3%A9%202024/photo", "x", "image/jpeg");
        var names = (await user.ItemNamesAsync("/pictures/")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["Capture d'écran.jpg", "été 2024/"], names);
        Assert.Equal(["photo"], await user.ItemNamesAsync("/pictures/%C3%A9t%C3%A9%202024/"));
    }

    [Fact]
    public async Task Listing_body_is_valid_utf8_json_for_every_name()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/%22quoted%22%20%5Cback", "x");
        await user.PutOkAsync("/notes/%3Chtml%3E%26", "x");
        using var response = await user.GetAsync("/notes/");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = new UTF8Encoding(false, true).GetString(bytes);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(
            ["\"quoted\" \\back", "<html>&"],
            json.RootElement.GetProperty("items").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
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

public sealed class FolderTests_Sqlite(SqliteServerFixture server) : FolderTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FolderTests_Postgres(PostgresServerFixture server) : FolderTests(server), IClassFixture<PostgresServerFixture>;

public sealed class FolderTests_PostgresS3(PostgresS3ServerFixture server) : FolderTests(server), IClassFixture<PostgresS3ServerFixture>;

public sealed class FolderTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : FolderTests(server), IClassFixture<UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture>;
