using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Documents (draft-26 §4–§6, §12.5–§12.8): bytes, Content-Type, lengths, ETags, Cache-Control,
/// ranges, chunked uploads, status codes, size limit and Unicode names.
/// </summary>
public abstract class DocumentTests(ServerFixture server)
{
    private const string Limit413Path = "/notes/big";

    private static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

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

    [Fact]
    public async Task Chunked_put_of_unknown_length_is_stored_whole()
    {
        var user = NewUser();
        var body = new byte[100_000];
        for (var i = 0; i < body.Length; i++)
        {
            body[i] = (byte)(i * 7);
        }

        using var content = new UnknownLengthContent(body, "application/octet-stream", pieceSize: 3000);
        using var put = await user.SendAsync(HttpMethod.Put, "/files/chunked", content, r => Assert.Null(r.Content!.Headers.ContentLength));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        StorageTestUser.AssertStrongQuoted(StorageTestUser.ETagOf(put));

        using var get = await user.GetAsync("/files/chunked");
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("100000", StorageTestUser.Header(get, "Content-Length"));
        Assert.Equal("application/octet-stream", StorageTestUser.Header(get, "Content-Type"));
        var (_, listing) = await user.ListAsync("/files/");
        Assert.Equal(100_000, listing.GetProperty("items").GetProperty("chunked").GetProperty("Content-Length").GetInt64());
    }

    [Fact]
    public async Task Raw_transfer_encoding_chunked_put_is_stored_whole()
    {
        var user = NewUser();
        var head = $"PUT {user.Url("/notes/raw-chunked")} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {user.Token}\r\n" +
                   "Content-Type: text/plain; charset=UTF-8\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        var body = Encoding.ASCII.GetBytes("5\r\nhello\r\n6\r\n world\r\n1;ext=1\r\n!\r\n0\r\n\r\n");
        var response = await RawHttp.SendAsync(server.BaseAddress, head, body);
        Assert.Equal(201, response.Status);
        StorageTestUser.AssertStrongQuoted(response.Header("ETag"));

        await user.AssertDocumentAsync("/notes/raw-chunked", "hello world!", "text/plain; charset=UTF-8", response.Header("ETag")!);
    }

    [Fact]
    public async Task Put_answers_201_when_created_and_200_when_replaced_never_204()
    {
        var user = NewUser();
        using var created = await user.PutAsync("/notes/a", "one");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var replaced = await user.PutAsync("/notes/a", "two");
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        using var replacedAgain = await user.PutAsync("/notes/a", "two");
        Assert.Equal(HttpStatusCode.OK, replacedAgain.StatusCode);
        Assert.NotEqual(StorageTestUser.ETagOf(created), StorageTestUser.ETagOf(replaced));
        StorageTestUser.AssertStrongQuoted(StorageTestUser.ETagOf(replaced));

        await user.AssertDocumentAsync("/notes/a", "two", "text/plain", StorageTestUser.ETagOf(replacedAgain)!);
    }

    [Fact]
    public async Task Put_after_delete_answers_201_again()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "one");
        (await user.DeleteAsync("/notes/a")).Dispose();
        using var again = await user.PutAsync("/notes/a", "two");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task Delete_answers_200_with_the_deleted_version_etag_and_the_document_is_gone()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "one");

        using var delete = await user.DeleteAsync("/notes/a");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(etag, StorageTestUser.ETagOf(delete));

        await user.AssertMissingAsync("/notes/a");
        using var again = await user.DeleteAsync("/notes/a");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
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

    [Fact]
    public async Task Put_of_exactly_the_size_limit_is_accepted()
    {
        var user = NewUser();
        var body = new byte[ServerFixture.MaxDocumentBytes];
        body[^1] = 42;
        using var put = await user.PutAsync(Limit413Path, body, "application/octet-stream");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await user.GetAsync(Limit413Path);
        Assert.Equal(ServerFixture.MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), StorageTestUser.Header(get, "Content-Length"));
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Put_over_the_size_limit_with_content_length_answers_413_and_keeps_the_old_version()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync(Limit413Path, "old version");
        var rootETag = await user.ETagAsync("/");

        using var put = await user.PutAsync(Limit413Path, new byte[ServerFixture.MaxDocumentBytes + 1], "application/octet-stream");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);

        await user.AssertDocumentAsync(Limit413Path, "old version", "text/plain", etag);
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Chunked_put_over_the_size_limit_answers_413_and_keeps_the_old_version()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync(Limit413Path, "old version");
        var rootETag = await user.ETagAsync("/");

        using var content = new UnknownLengthContent(new byte[ServerFixture.MaxDocumentBytes + 1], "application/octet-stream", pieceSize: 64 * 1024);
        using var put = await user.SendAsync(HttpMethod.Put, Limit413Path, content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);

        await user.AssertDocumentAsync(Limit413Path, "old version", "text/plain", etag);
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Chunked_put_over_the_size_limit_of_a_new_document_stores_nothing()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/keep", "x");
        var rootETag = await user.ETagAsync("/");

        using var content = new UnknownLengthContent(new byte[ServerFixture.MaxDocumentBytes + 1], "application/octet-stream", pieceSize: 64 * 1024);
        using var put = await user.SendAsync(HttpMethod.Put, "/big/new", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);

        await user.AssertMissingAsync("/big/new");
        Assert.Equal(rootETag, await user.ETagAsync("/"));
        Assert.Equal(["notes/"], await user.ItemNamesAsync("/"));
    }

    [Fact]
    public async Task Put_without_content_type_answers_400_and_keeps_the_old_version()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "old version");

        using var put = await user.PutAsync("/notes/a", Encoding.UTF8.GetBytes("new"), contentType: null);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.NotEmpty(await put.Content.ReadAsStringAsync());

        await user.AssertDocumentAsync("/notes/a", "old version", "text/plain", etag);
    }

    [Fact]
    public async Task Put_without_content_type_of_a_new_document_stores_nothing()
    {
        var user = NewUser();
        using var put = await user.PutAsync("/notes/a", Encoding.UTF8.GetBytes("new"), contentType: null);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        await user.AssertMissingAsync("/notes/a");
        Assert.Empty(await user.ItemNamesAsync("/"));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("text/")]
    [InlineData("/plain")]
    [InlineData("text/plain; charset")]
    [InlineData("text plain")]
    public async Task Put_with_an_invalid_content_type_answers_400_and_keeps_the_old_version(string contentType)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "old version");

        using var put = await user.PutAsync("/notes/a", "new", contentType);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.NotEmpty(await put.Content.ReadAsStringAsync());

        await user.AssertDocumentAsync("/notes/a", "old version", "text/plain", etag);
    }

    [Fact]
    public async Task Put_with_content_range_answers_400_and_keeps_the_old_version()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "old version");

        using var put = await user.PutAsync("/notes/a", "new", "text/plain", r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", "bytes 0-2/10"));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);

        await user.AssertDocumentAsync("/notes/a", "old version", "text/plain", etag);
    }

    [Fact]
    public async Task Unicode_name_round_trips_and_appears_decoded_in_the_parent_listing()
    {
        var user = NewUser();
        const string encoded = "/pictures/Capture%20d%27%C3%A9cran.jpg";
        using var put = await user.PutAsync(encoded, AllBytes, "image/jpeg; charset=binary");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var etag = StorageTestUser.ETagOf(put)!;

        await user.AssertDocumentAsync(encoded, AllBytes, "image/jpeg; charset=binary", etag);

        var (_, listing) = await user.ListAsync("/pictures/");
        var items = listing.GetProperty("items");
        Assert.Equal(["Capture d'écran.jpg"], items.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(StorageTestUser.Unquote(etag), items.GetProperty("Capture d'écran.jpg").GetProperty("ETag").GetString());
    }

    [Fact]
    public async Task Unicode_name_is_the_same_document_whichever_way_its_allowed_characters_are_encoded()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/pictures/Capture%20d%27%C3%A9cran.jpg", "pic", "image/jpeg");

        // The same name with the apostrophe sent raw, as older clients do.
        var response = await RawHttp.SendAsync(
            server.BaseAddress,
            $"GET {user.Url("/pictures/Capture%20d'%C3%A9cran.jpg")} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {user.Token}\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, response.Status);
        Assert.Equal(etag, response.Header("ETag"));
        Assert.Equal("pic", response.BodyText);
    }

    [Theory]
    [InlineData("/notes/%E6%97%A5%E6%9C%AC%E8%AA%9E", "日本語")]
    [InlineData("/notes/emoji%F0%9F%98%80", "emoji😀")]
    [InlineData("/notes/a%22quote%22", "a\"quote\"")]
    [InlineData("/notes/100%25", "100%")]
    [InlineData("/notes/plus+sign", "plus+sign")]
    [InlineData("/notes/!()*~", "!()*~")]
    public async Task Names_with_special_characters_round_trip_and_are_listed_decoded(string encodedPath, string name)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync(encodedPath, name);
        await user.AssertDocumentAsync(encodedPath, name, "text/plain", etag);
        Assert.Equal([name], await user.ItemNamesAsync("/notes/"));
    }

    [Fact]
    public async Task Names_differing_only_in_case_normalization_or_trailing_space_are_different_documents()
    {
        var user = NewUser();
        string[] encoded = ["/notes/a", "/notes/A", "/notes/%C3%A9", "/notes/e%CC%81", "/notes/a%20"];
        var etags = new List<string>();
        foreach (var path in encoded)
        {
            using var put = await user.PutAsync(path, path);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            etags.Add(StorageTestUser.ETagOf(put)!);
        }

        for (var i = 0; i < encoded.Length; i++)
        {
            await user.AssertDocumentAsync(encoded[i], encoded[i], "text/plain", etags[i]);
        }

        Assert.Equal(
            new[] { "a", "A", "\u00E9", "e\u0301", "a " }.Order(StringComparer.Ordinal).ToArray(),
            (await user.ItemNamesAsync("/notes/")).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Content_type_with_non_ascii_bytes_is_refused_with_400_and_nothing_is_stored()
    {
        var user = NewUser();
        var head = Encoding.Latin1.GetBytes(
            $"PUT {user.Url("/notes/latin1")} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {user.Token}\r\n" +
            "Content-Type: text/plain; name=\"caf\u00E9\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
        var put = await RawHttp.SendAsync(server.BaseAddress, head, "hi"u8.ToArray());
        Assert.Equal(400, put.Status);
        await user.AssertMissingAsync("/notes/latin1");
        Assert.Empty(await user.ItemNamesAsync("/"));
    }

    [Fact]
    public async Task Upload_cut_off_halfway_keeps_the_old_version_and_creates_nothing_new()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "old version");
        var rootETag = await user.ETagAsync("/");

        foreach (var path in new[] { "/notes/a", "/notes/new" })
        {
            var head = $"PUT {user.Url(path)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {user.Token}\r\n" +
                       "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n";
            await RawHttp.SendAndAbortAsync(server.BaseAddress, head, new byte[500]);
        }

        await user.AssertDocumentAsync("/notes/a", "old version", "text/plain", etag);
        await user.AssertMissingAsync("/notes/new");
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }
}

public sealed class DocumentTests_Sqlite(SqliteServerFixture server) : DocumentTests(server), IClassFixture<SqliteServerFixture>;

public sealed class DocumentTests_Postgres(PostgresServerFixture server) : DocumentTests(server), IClassFixture<PostgresServerFixture>;

public sealed class DocumentTests_PostgresS3(PostgresS3ServerFixture server) : DocumentTests(server), IClassFixture<PostgresS3ServerFixture>;

public sealed class DocumentTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : DocumentTests(server), IClassFixture<UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture>;
