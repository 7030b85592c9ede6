using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Writing documents (draft-26 §4–§6): the status codes of PUT and DELETE, chunked uploads, the
/// size limit (413), refused Content-Type and Content-Range (400), and uploads cut off halfway:
/// a refused or failed write keeps the old version and stores nothing new.
/// </summary>
public abstract class DocumentWriteTests(ServerFixture server)
{
    private const string Limit413Path = "/notes/big";

    private StorageTestUser NewUser() => new(server);

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

public sealed class DocumentWriteTests_Sqlite(SqliteServerFixture server) : DocumentWriteTests(server), IClassFixture<SqliteServerFixture>;

public sealed class DocumentWriteTests_Postgres(PostgresServerFixture server) : DocumentWriteTests(server), IClassFixture<PostgresServerFixture>;

public sealed class DocumentWriteTests_PostgresS3(PostgresS3ServerFixture server) : DocumentWriteTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class DocumentWriteTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : DocumentWriteTests(server);
