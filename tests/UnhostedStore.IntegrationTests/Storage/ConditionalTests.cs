using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Conditional requests (draft-26 §6, §12.5–§12.8; RFC 9110 §13): If-None-Match on reads → 304,
/// If-Match / If-None-Match: * on writes → 412 with the current ETag, and nothing stored on failure.
/// </summary>
public abstract class ConditionalTests(ServerFixture server)
{
    private StorageTestUser NewUser() => new(server);

    private static Action<HttpRequestMessage> Header(string name, string value) =>
        r => Assert.True(r.Headers.TryAddWithoutValidation(name, value));

    private static async Task Assert304Async(HttpResponseMessage response, string etag, string cacheControl = "no-cache")
    {
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, StorageTestUser.ETagOf(response));
        Assert.Equal(cacheControl, StorageTestUser.Header(response, "Cache-Control"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    // ---- reads: If-None-Match ----------------------------------------------------------------

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task If_none_match_with_the_current_etag_answers_304_with_the_etag(string method)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        using var response = await user.SendAsync(new HttpMethod(method), "/notes/a", null, Header("If-None-Match", etag));
        await Assert304Async(response, etag);
    }

    [Theory]
    [InlineData("\"other\", {0}")]
    [InlineData("{0}, \"other\"")]
    [InlineData("\"x\",\"y\",{0}")]
    [InlineData("W/\"other\", {0}")]
    public async Task If_none_match_list_containing_the_current_etag_answers_304(string template)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        var value = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, etag);
        using var response = await user.GetAsync("/notes/a", Header("If-None-Match", value));
        await Assert304Async(response, etag);
    }

    [Fact]
    public async Task If_none_match_split_over_several_header_lines_answers_304()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        var response = await RawHttp.SendAsync(
            server.BaseAddress,
            $"GET {user.Url("/notes/a")} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {user.Token}\r\n" +
            $"If-None-Match: \"nope\"\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n");
        Assert.Equal(304, response.Status);
        Assert.Equal(etag, response.Header("ETag"));
    }

    [Fact]
    public async Task If_none_match_star_on_an_existing_document_answers_304()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        using var response = await user.GetAsync("/notes/a", Header("If-None-Match", "*"));
        await Assert304Async(response, etag);
    }

    [Fact]
    public async Task If_none_match_star_on_a_missing_document_answers_404()
    {
        var user = NewUser();
        using var response = await user.GetAsync("/notes/missing", Header("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(StorageTestUser.ETagOf(response));
    }

    [Fact]
    public async Task If_none_match_with_the_weak_form_of_the_current_etag_answers_304()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        using var response = await user.GetAsync("/notes/a", Header("If-None-Match", "W/" + etag));
        await Assert304Async(response, etag);
    }

    [Fact]
    public async Task If_none_match_with_a_stale_etag_answers_200_with_the_body()
    {
        var user = NewUser();
        var stale = await user.PutOkAsync("/notes/a", "old");
        var etag = await user.PutOkAsync("/notes/a", "new");
        using var response = await user.GetAsync("/notes/a", Header("If-None-Match", $"{stale}, \"other\""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(etag, StorageTestUser.ETagOf(response));
        Assert.Equal("new", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task If_none_match_on_a_public_document_answers_304_with_public_cache_control_without_token()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/public/notes/a", "x");
        using var request = new HttpRequestMessage(HttpMethod.Get, user.Url("/public/notes/a"));
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var response = await server.Client.SendAsync(request);
        await Assert304Async(response, etag, "no-cache, public");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task If_none_match_with_the_current_folder_etag_answers_304(string method)
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "x");
        foreach (var folder in new[] { "/notes/", "/" })
        {
            var etag = await user.ETagAsync(folder);
            using var response = await user.SendAsync(new HttpMethod(method), folder, null, Header("If-None-Match", $"\"other\", {etag}"));
            await Assert304Async(response, etag);
        }
    }

    [Fact]
    public async Task If_none_match_on_a_missing_folder_with_its_stable_etag_answers_304()
    {
        var user = NewUser();
        var etag = await user.ETagAsync("/nothing/");
        using var response = await user.GetAsync("/nothing/", Header("If-None-Match", etag));
        await Assert304Async(response, etag);
        using var star = await user.GetAsync("/nothing/", Header("If-None-Match", "*"));
        await Assert304Async(star, etag);
    }

    [Fact]
    public async Task If_none_match_with_a_stale_folder_etag_answers_200_with_the_new_listing()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "x");
        var stale = await user.ETagAsync("/notes/");
        await user.PutOkAsync("/notes/b", "x");

        using var response = await user.GetAsync("/notes/", Header("If-None-Match", stale));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(stale, StorageTestUser.ETagOf(response));
        Assert.Contains("\"b\":", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("If-None-Match", "abc")]
    [InlineData("If-None-Match", "\"unterminated")]
    [InlineData("If-None-Match", "*, \"a\"")]
    [InlineData("If-Match", "not-quoted")]
    public async Task Malformed_conditional_header_on_get_is_ignored_and_answers_200_with_the_document(string name, string value)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "x");
        using var response = await user.GetAsync("/notes/a", Header(name, value));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("x", await response.Content.ReadAsStringAsync());
        Assert.Equal(etag, StorageTestUser.ETagOf(response));
    }

    // ---- PUT ---------------------------------------------------------------------------------

    [Fact]
    public async Task Put_with_a_stale_if_match_answers_412_with_the_current_etag_and_keeps_the_document()
    {
        var user = NewUser();
        var stale = await user.PutOkAsync("/notes/a", "old");
        var current = await user.PutOkAsync("/notes/a", "current");
        var rootETag = await user.ETagAsync("/");

        using var put = await user.PutAsync("/notes/a", "lost update", "text/html", Header("If-Match", stale));
        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(put));

        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Put_with_the_weak_form_of_the_current_etag_in_if_match_answers_412()
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");

        using var put = await user.PutAsync("/notes/a", "new", configure: Header("If-Match", "W/" + current));
        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(put));
        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
    }

    [Theory]
    [InlineData("\"whatever\"")]
    [InlineData("*")]
    public async Task Put_with_if_match_on_a_missing_document_answers_412_and_creates_nothing(string ifMatch)
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/other", "x");
        var rootETag = await user.ETagAsync("/");

        using var put = await user.PutAsync("/notes/a", "new", configure: Header("If-Match", ifMatch));
        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
        Assert.Null(StorageTestUser.ETagOf(put));

        await user.AssertMissingAsync("/notes/a");
        Assert.Equal(["other"], await user.ItemNamesAsync("/notes/"));
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData("\"other\", {0}")]
    [InlineData("*")]
    public async Task Put_with_a_matching_if_match_answers_200_with_a_new_etag(string template)
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "old");
        var value = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, current);

        using var put = await user.PutAsync("/notes/a", "new", "text/markdown", Header("If-Match", value));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var etag = StorageTestUser.ETagOf(put);
        Assert.NotEqual(current, etag);
        await user.AssertDocumentAsync("/notes/a", "new", "text/markdown", etag!);
    }

    [Fact]
    public async Task Put_with_if_none_match_star_on_an_existing_document_answers_412_with_the_current_etag()
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");
        var rootETag = await user.ETagAsync("/");

        using var put = await user.PutAsync("/notes/a", "overwrite", configure: Header("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(put));

        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Put_with_if_none_match_star_on_a_new_document_answers_201()
    {
        var user = NewUser();
        using var put = await user.PutAsync("/notes/a", "first", configure: Header("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await user.AssertDocumentAsync("/notes/a", "first", "text/plain", StorageTestUser.ETagOf(put)!);
    }

    [Fact]
    public async Task Put_with_if_none_match_star_after_delete_answers_201()
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "first");
        (await user.DeleteAsync("/notes/a")).Dispose();
        using var put = await user.PutAsync("/notes/a", "second", configure: Header("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task Put_with_if_none_match_naming_the_current_etag_answers_412()
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");
        using var put = await user.PutAsync("/notes/a", "new", configure: Header("If-None-Match", current));
        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(put));
        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
    }

    [Fact]
    public async Task Only_one_of_two_writers_with_the_same_if_match_wins()
    {
        var user = NewUser();
        var base0 = await user.PutOkAsync("/notes/a", "base");
        using var first = await user.PutAsync("/notes/a", "first", configure: Header("If-Match", base0));
        using var second = await user.PutAsync("/notes/a", "second", configure: Header("If-Match", base0));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Equal(StorageTestUser.ETagOf(first), StorageTestUser.ETagOf(second));
        await user.AssertDocumentAsync("/notes/a", "first", "text/plain", StorageTestUser.ETagOf(first)!);
    }

    [Theory]
    [InlineData("If-Match", "abc")]
    [InlineData("If-Match", "\"a\" \"b\"")]
    [InlineData("If-None-Match", "W/abc")]
    public async Task Put_with_a_malformed_conditional_header_answers_412_and_keeps_the_document(string name, string value)
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");
        using var put = await user.PutAsync("/notes/a", "new", configure: Header(name, value));
        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
    }

    // ---- DELETE ------------------------------------------------------------------------------

    [Fact]
    public async Task Delete_with_a_stale_if_match_answers_412_with_the_current_etag_and_keeps_the_document()
    {
        var user = NewUser();
        var stale = await user.PutOkAsync("/notes/a", "old");
        var current = await user.PutOkAsync("/notes/a", "current");
        var rootETag = await user.ETagAsync("/");

        using var delete = await user.DeleteAsync("/notes/a", Header("If-Match", stale));
        Assert.Equal(HttpStatusCode.PreconditionFailed, delete.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(delete));

        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
        Assert.Equal(["a"], await user.ItemNamesAsync("/notes/"));
        Assert.Equal(rootETag, await user.ETagAsync("/"));
    }

    [Fact]
    public async Task Delete_with_a_matching_if_match_answers_200_with_the_deleted_etag()
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");

        using var delete = await user.DeleteAsync("/notes/a", Header("If-Match", current));
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(delete));
        await user.AssertMissingAsync("/notes/a");
    }

    [Fact]
    public async Task Delete_with_if_match_of_a_missing_document_answers_404_without_etag()
    {
        var user = NewUser();
        using var delete = await user.DeleteAsync("/notes/a", Header("If-Match", "\"whatever\""));
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Null(StorageTestUser.ETagOf(delete));
    }

    [Fact]
    public async Task Delete_with_if_none_match_star_on_an_existing_document_answers_412_and_keeps_it()
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");
        using var delete = await user.DeleteAsync("/notes/a", Header("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, delete.StatusCode);
        Assert.Equal(current, StorageTestUser.ETagOf(delete));
        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
    }

    [Fact]
    public async Task Delete_with_a_malformed_if_match_answers_412_and_keeps_the_document()
    {
        var user = NewUser();
        var current = await user.PutOkAsync("/notes/a", "current");
        using var delete = await user.DeleteAsync("/notes/a", Header("If-Match", "unquoted"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, delete.StatusCode);
        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", current);
    }
}

public sealed class ConditionalTests_Sqlite(SqliteServerFixture server) : ConditionalTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ConditionalTests_Postgres(PostgresServerFixture server) : ConditionalTests(server), IClassFixture<PostgresServerFixture>;

public sealed class ConditionalTests_PostgresS3(PostgresS3ServerFixture server) : ConditionalTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class ConditionalTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : ConditionalTests(server);
