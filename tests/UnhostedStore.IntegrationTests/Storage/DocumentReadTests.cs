using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Storage.SampleBytes;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Reading documents (draft-26 §4–§6, §12.5–§12.8): bytes, Content-Type, lengths and ETags as
/// stored, Cache-Control, HEAD, ranges, and 404 for missing documents.
/// </summary>
public abstract class DocumentReadTests(ServerFixture server)
{
    private StorageTestUser NewUser() => new(server);

    [Fact]
    public async Task Put_then_get_round_trips_text_with_its_content_type_and_length()
    {
        var user = NewUser();
        var text = "hello, world\nsecond line\n";
        using var put = await user.PutAsync("/notes/hello.txt", text, "text/plain");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using var get = await user.GetAsync("/notes/hello.txt");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(text, await get.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", StorageTestUser.Header(get, "Content-Type"));
        Assert.Equal(Encoding.UTF8.GetByteCount(text).ToString(System.Globalization.CultureInfo.InvariantCulture), StorageTestUser.Header(get, "Content-Length"));
    }

    [Fact]
    public async Task Json_with_charset_parameter_keeps_its_content_type_byte_for_byte()
    {
        var user = NewUser();
        var json = "{\"name\":\"Zoë\",\"n\":1}";
        using var put = await user.PutAsync("/contacts/zoe", json, "application/json; charset=UTF-8");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using var get = await user.GetAsync("/contacts/zoe");
        Assert.Equal("application/json; charset=UTF-8", StorageTestUser.Header(get, "Content-Type"));
        Assert.Equal(Encoding.UTF8.GetBytes(json), await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Binary_with_all_256_byte_values_round_trips_exactly_with_charset_binary()
    {
        var user = NewUser();
        using var put = await user.PutAsync("/pictures/all-bytes.jpg", AllBytes, "image/jpeg; charset=binary");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using var get = await user.GetAsync("/pictures/all-bytes.jpg");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(AllBytes, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg; charset=binary", StorageTestUser.Header(get, "Content-Type"));
        Assert.Equal("256", StorageTestUser.Header(get, "Content-Length"));
        Assert.Null(StorageTestUser.Header(get, "Content-Encoding"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("TEXT/Plain;Charset=\"utf-8\"")]
    [InlineData("application/octet-stream")]
    [InlineData("text/html;charset=iso-8859-1")]
    [InlineData("application/vnd.example+json; version=2; charset=UTF-8")]
    [InlineData("text/plain; x=\"a \\\"b\\\" ;c\"")]
    public async Task Content_type_is_returned_exactly_as_stored(string contentType)
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/typed", "body", contentType);

        using var get = await user.GetAsync("/notes/typed");
        Assert.Equal(contentType, StorageTestUser.Header(get, "Content-Type"));
        using var head = await user.HeadAsync("/notes/typed");
        Assert.Equal(contentType, StorageTestUser.Header(head, "Content-Type"));
        var (_, listing) = await user.ListAsync("/notes/");
        Assert.Equal(contentType, listing.GetProperty("items").GetProperty("typed").GetProperty("Content-Type").GetString());
    }

    [Fact]
    public async Task Empty_document_round_trips_with_content_length_zero()
    {
        var user = NewUser();
        using var put = await user.PutAsync("/notes/empty", [], "text/plain");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        using var get = await user.GetAsync("/notes/empty");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("0", StorageTestUser.Header(get, "Content-Length"));
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Put_and_get_return_the_same_strong_quoted_etag()
    {
        var user = NewUser();
        using var put = await user.PutAsync("/notes/a", "one");
        var etag = StorageTestUser.ETagOf(put);
        StorageTestUser.AssertStrongQuoted(etag);
        Assert.DoesNotContain(",", etag, StringComparison.Ordinal);

        using var get = await user.GetAsync("/notes/a");
        Assert.Equal(etag, StorageTestUser.ETagOf(get));
        using var head = await user.HeadAsync("/notes/a");
        Assert.Equal(etag, StorageTestUser.ETagOf(head));
    }

    [Fact]
    public async Task Get_and_head_of_a_document_have_cache_control_exactly_no_cache()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "one");

        using var get = await user.GetAsync("/notes/a");
        Assert.Equal("no-cache", StorageTestUser.Header(get, "Cache-Control"));
        using var head = await user.HeadAsync("/notes/a");
        Assert.Equal("no-cache", StorageTestUser.Header(head, "Cache-Control"));
    }

    [Fact]
    public async Task Public_document_has_cache_control_exactly_no_cache_public_with_and_without_token()
    {
        var user = NewUser();
        await user.PutOkAsync("/public/photos/cat.jpg", "meow", "image/jpeg");

        using var withToken = await user.GetAsync("/public/photos/cat.jpg");
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        Assert.Equal("no-cache, public", StorageTestUser.Header(withToken, "Cache-Control"));

        using var anonymous = await server.Client.GetAsync(user.Url("/public/photos/cat.jpg"));
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal("no-cache, public", StorageTestUser.Header(anonymous, "Cache-Control"));
        Assert.Equal("meow", await anonymous.Content.ReadAsStringAsync());

        using var headRequest = new HttpRequestMessage(HttpMethod.Head, user.Url("/public/photos/cat.jpg"));
        using var anonymousHead = await server.Client.SendAsync(headRequest);
        Assert.Equal(HttpStatusCode.OK, anonymousHead.StatusCode);
        Assert.Equal("no-cache, public", StorageTestUser.Header(anonymousHead, "Cache-Control"));
    }

    [Fact]
    public async Task A_document_named_public_outside_the_public_folder_is_plain_no_cache()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/public", "not public");
        using var get = await user.GetAsync("/notes/public");
        Assert.Equal("no-cache", StorageTestUser.Header(get, "Cache-Control"));
    }

    [Fact]
    public async Task Get_announces_accept_ranges_bytes()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "0123456789");
        using var get = await user.GetAsync("/notes/a");
        Assert.Equal("bytes", StorageTestUser.Header(get, "Accept-Ranges"));
        using var head = await user.HeadAsync("/notes/a");
        Assert.Equal("bytes", StorageTestUser.Header(head, "Accept-Ranges"));
    }

    [Theory]
    [InlineData("bytes=2-5", 2, 5)]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=250-", 250, 255)]
    [InlineData("bytes=250-100000", 250, 255)]
    [InlineData("bytes=-10", 246, 255)]
    [InlineData("bytes=-1000", 0, 255)]
    [InlineData("bytes=0-255", 0, 255)]
    public async Task Range_get_returns_206_with_content_range_and_exactly_those_bytes(string range, int first, int last)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/pictures/all", AllBytes, "image/jpeg; charset=binary");

        using var get = await user.GetAsync("/pictures/all", r => r.Headers.TryAddWithoutValidation("Range", range));
        Assert.Equal(HttpStatusCode.PartialContent, get.StatusCode);
        Assert.Equal($"bytes {first}-{last}/256", StorageTestUser.Header(get, "Content-Range"));
        Assert.Equal((last - first + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StorageTestUser.Header(get, "Content-Length"));
        Assert.Equal(AllBytes[first..(last + 1)], await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, StorageTestUser.ETagOf(get));
        Assert.Equal("image/jpeg; charset=binary", StorageTestUser.Header(get, "Content-Type"));
        Assert.Equal("no-cache", StorageTestUser.Header(get, "Cache-Control"));
    }

    [Theory]
    [InlineData("bytes=256-")]
    [InlineData("bytes=256-300")]
    [InlineData("bytes=1000-2000")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=5-2")]
    public async Task Unsatisfiable_or_malformed_range_returns_416_with_content_range_star(string range)
    {
        var user = NewUser();
        await user.PutOkAsync("/pictures/all", AllBytes, "image/jpeg");

        using var get = await user.GetAsync("/pictures/all", r => r.Headers.TryAddWithoutValidation("Range", range));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, get.StatusCode);
        Assert.Equal("bytes */256", StorageTestUser.Header(get, "Content-Range"));
    }

    [Fact]
    public async Task Any_range_of_an_empty_document_is_unsatisfiable()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/empty", string.Empty);
        using var get = await user.GetAsync("/notes/empty", r => r.Headers.TryAddWithoutValidation("Range", "bytes=0-"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, get.StatusCode);
        Assert.Equal("bytes */0", StorageTestUser.Header(get, "Content-Range"));
    }

    [Fact]
    public async Task If_range_with_the_current_etag_serves_the_range()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "0123456789");
        using var get = await user.GetAsync("/notes/a", r =>
        {
            r.Headers.TryAddWithoutValidation("Range", "bytes=3-4");
            r.Headers.TryAddWithoutValidation("If-Range", etag);
        });
        Assert.Equal(HttpStatusCode.PartialContent, get.StatusCode);
        Assert.Equal("bytes 3-4/10", StorageTestUser.Header(get, "Content-Range"));
        Assert.Equal("34", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task If_range_with_a_stale_etag_serves_the_whole_document()
    {
        var user = NewUser();
        var stale = await user.PutOkAsync("/notes/a", "old");
        await user.PutOkAsync("/notes/a", "0123456789");
        using var get = await user.GetAsync("/notes/a", r =>
        {
            r.Headers.TryAddWithoutValidation("Range", "bytes=3-4");
            r.Headers.TryAddWithoutValidation("If-Range", stale);
        });
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Null(StorageTestUser.Header(get, "Content-Range"));
        Assert.Equal("0123456789", await get.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("DELETE")]
    public async Task Missing_document_answers_404_without_etag(string method)
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/other", "x");

        foreach (var path in new[] { "/notes/missing", "/nothing/here/at/all", "/public/notes/missing" })
        {
            using var response = await user.SendAsync(new HttpMethod(method), path, null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Null(StorageTestUser.ETagOf(response));
        }
    }

    [Fact]
    public async Task Anonymous_get_of_a_missing_public_document_answers_404_without_etag()
    {
        var user = NewUser();
        using var response = await server.Client.GetAsync(user.Url("/public/notes/missing"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(StorageTestUser.ETagOf(response));
    }

    [Fact]
    public async Task Head_of_a_document_has_exactly_the_headers_of_get_and_no_body()
    {
        var user = NewUser();
        await user.PutOkAsync("/pictures/all", "some bytes here", "image/png; charset=binary");

        using var get = await user.GetAsync("/pictures/all");
        using var head = await user.HeadAsync("/pictures/all");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(StorageTestUser.HeadersWithoutDate(get), StorageTestUser.HeadersWithoutDate(head));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal("15", StorageTestUser.Header(head, "Content-Length"));
    }

    [Fact]
    public async Task Head_of_a_public_document_without_token_has_exactly_the_headers_of_get()
    {
        var user = NewUser();
        await user.PutOkAsync("/public/notes/a", "shared", "text/plain");

        using var get = await server.Client.GetAsync(user.Url("/public/notes/a"));
        using var headRequest = new HttpRequestMessage(HttpMethod.Head, user.Url("/public/notes/a"));
        using var head = await server.Client.SendAsync(headRequest);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(StorageTestUser.HeadersWithoutDate(get), StorageTestUser.HeadersWithoutDate(head));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }
}

public sealed class DocumentReadTests_Sqlite(SqliteServerFixture server) : DocumentReadTests(server), IClassFixture<SqliteServerFixture>;

public sealed class DocumentReadTests_Postgres(PostgresServerFixture server) : DocumentReadTests(server), IClassFixture<PostgresServerFixture>;

public sealed class DocumentReadTests_PostgresS3(PostgresS3ServerFixture server) : DocumentReadTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class DocumentReadTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : DocumentReadTests(server);
