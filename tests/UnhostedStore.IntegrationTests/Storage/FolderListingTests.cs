using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Folder listings (draft-26 §3–§4): the JSON-LD body and its item shapes (ETags, lengths,
/// Last-Modified), the listing's own headers on GET and HEAD, missing folders, and names
/// shown decoded.
/// </summary>
public abstract class FolderListingTests(ServerFixture server)
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
}

public sealed class FolderListingTests_Sqlite(SqliteServerFixture server) : FolderListingTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FolderListingTests_Postgres(PostgresServerFixture server) : FolderListingTests(server), IClassFixture<PostgresServerFixture>;

public sealed class FolderListingTests_PostgresS3(PostgresS3ServerFixture server) : FolderListingTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class FolderListingTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : FolderListingTests(server);
