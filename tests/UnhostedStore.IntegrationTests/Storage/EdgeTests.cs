using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// The edge of the storage API (spec/conformance.md, "Decisions"): an empty or blank
/// <c>Authorization</c> header is no credentials at all, and a precondition that is not an
/// entity-tag list (RFC 9110 §8.8.3, §13.1.1–2) fails a write with 412 and is ignored by reads.
/// </summary>
public abstract class EdgeTests(ServerFixture server)
{
    /// <summary>Authorization header lines that carry nothing (Kestrel trims the whitespace).</summary>
    public static TheoryData<string> BlankAuthorizations => new() { "Authorization:\r\n", "Authorization: \r\n", "Authorization:   \t \r\n" };

    /// <summary>Values that are not <c>"*" / #entity-tag</c>.</summary>
    public static readonly string[] Unparseable =
    [
        "\"match me\"",
        "match-me",
        "garbage!",
        "\"unterminated",
        "\"a\" \"b\"",
        "\"a\"b\"",
        "*, \"a\"",
        "\"a\", *",
        "W/",
        "W/abc",
        "w/\"a\"",
        ",",
        string.Join(", ", Enumerable.Range(0, 65).Select(i => $"\"t{i}\"")),
    ];

    public static TheoryData<string, string> UnparseablePreconditions
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var value in Unparseable)
            {
                data.Add("If-Match", value);
                data.Add("If-None-Match", value);
            }

            return data;
        }
    }

    private StorageTestUser NewUser() => new(server);

    private static Action<HttpRequestMessage> Header(string name, string value) =>
        r => Assert.True(r.Headers.TryAddWithoutValidation(name, value));

    private Task<RawResponse> SendRawAsync(string method, string target, string headers, string? body = null) =>
        RawHttp.SendAsync(
            server.BaseAddress,
            $"{method} {target} HTTP/1.1\r\nHost: x\r\n{headers}{(body is null ? string.Empty : $"Content-Type: text/plain\r\nContent-Length: {body.Length}\r\n")}Connection: close\r\n\r\n",
            body is null ? null : System.Text.Encoding.ASCII.GetBytes(body));

    // ---- an empty Authorization header is no credentials -------------------------------------

    [Theory]
    [MemberData(nameof(BlankAuthorizations))]
    public async Task A_blank_authorization_header_reads_a_public_document_exactly_like_no_header(string authorization)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/public/notes/p", "for everyone");

        var none = await SendRawAsync("GET", user.Url("/public/notes/p"), string.Empty);
        var blank = await SendRawAsync("GET", user.Url("/public/notes/p"), authorization);

        Assert.Equal(200, blank.Status);
        Assert.Equal("for everyone", blank.BodyText);
        Assert.Equal(etag, blank.Header("ETag"));
        Assert.Equal("no-cache, public", blank.Header("Cache-Control"));
        Assert.Equal(none.Status, blank.Status);
        Assert.Equal(none.Header("Cache-Control"), blank.Header("Cache-Control"));
    }

    [Theory]
    [MemberData(nameof(BlankAuthorizations))]
    public async Task A_blank_authorization_header_gets_the_same_401_as_no_header_on_a_private_read_without_invalid_token(string authorization)
    {
        var user = NewUser();
        await user.PutOkAsync("/notes/a", "private");

        foreach (var path in new[] { "/notes/a", "/notes/", "/public/notes/" })
        {
            var none = await SendRawAsync("GET", user.Url(path), string.Empty);
            var blank = await SendRawAsync("GET", user.Url(path), authorization);

            Assert.Equal(401, blank.Status);
            Assert.Equal(none.Header("WWW-Authenticate"), blank.Header("WWW-Authenticate"));
            Assert.StartsWith("Bearer", blank.Header("WWW-Authenticate"), StringComparison.Ordinal);
            Assert.DoesNotContain("invalid_token", blank.Header("WWW-Authenticate"), StringComparison.Ordinal);
            Assert.Equal(none.BodyText, blank.BodyText);
        }
    }

    [Theory]
    [MemberData(nameof(BlankAuthorizations))]
    public async Task A_blank_authorization_header_gets_401_on_put_and_delete_and_changes_nothing(string authorization)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "kept");
        var folder = await user.ETagAsync("/notes/");

        var replace = await SendRawAsync("PUT", user.Url("/notes/a"), authorization, "evil");
        var create = await SendRawAsync("PUT", user.Url("/notes/new"), authorization, "evil");
        var createPublic = await SendRawAsync("PUT", user.Url("/public/notes/new"), authorization, "evil");
        var delete = await SendRawAsync("DELETE", user.Url("/notes/a"), authorization);

        Assert.All(new[] { replace, create, createPublic, delete }, r => Assert.Equal(401, r.Status));
        Assert.All(new[] { replace, create, createPublic, delete }, r => Assert.DoesNotContain("invalid_token", r.Header("WWW-Authenticate"), StringComparison.Ordinal));
        await user.AssertDocumentAsync("/notes/a", "kept", "text/plain", etag);
        await user.AssertMissingAsync("/notes/new");
        await user.AssertMissingAsync("/public/notes/new");
        Assert.Equal(folder, await user.ETagAsync("/notes/"));
    }

    [Theory]
    [MemberData(nameof(BlankAuthorizations))]
    public async Task A_blank_authorization_header_on_a_preflight_gets_the_same_200_as_no_header(string authorization)
    {
        var user = NewUser();
        const string preflight = "Origin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n";
        var none = await SendRawAsync("OPTIONS", user.Url("/notes/a"), preflight);
        var blank = await SendRawAsync("OPTIONS", user.Url("/notes/a"), preflight + authorization);

        Assert.Equal(200, blank.Status);
        Assert.Equal(none.Header("Access-Control-Allow-Methods"), blank.Header("Access-Control-Allow-Methods"));
        Assert.Equal("https://app.example", blank.Header("Access-Control-Allow-Origin"));
    }

    // ---- a precondition that cannot be evaluated ---------------------------------------------

    [Fact]
    public async Task Delete_with_if_match_match_me_of_a_missing_document_answers_412_and_changes_nothing()
    {
        var user = NewUser();
        var folder = await user.ETagAsync("/notes/");

        using var delete = await user.DeleteAsync("/notes/missing", Header("If-Match", "\"match me\""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, delete.StatusCode);
        Assert.Null(StorageTestUser.ETagOf(delete));
        await user.AssertMissingAsync("/notes/missing");
        Assert.Equal(folder, await user.ETagAsync("/notes/"));
    }

    [Theory]
    [MemberData(nameof(UnparseablePreconditions))]
    public async Task A_write_with_an_unparseable_precondition_answers_412_and_changes_nothing_on_missing_and_existing_documents(string name, string value)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "current");
        var root = await user.ETagAsync("/");

        var responses = new List<(string What, HttpResponseMessage Response)>
        {
            ("PUT existing", await user.PutAsync("/notes/a", "overwritten", configure: Header(name, value))),
            ("PUT missing", await user.PutAsync("/notes/new", "created", configure: Header(name, value))),
            ("DELETE existing", await user.DeleteAsync("/notes/a", Header(name, value))),
            ("DELETE missing", await user.DeleteAsync("/notes/missing", Header(name, value))),
        };

        foreach (var (what, response) in responses)
        {
            Assert.True(response.StatusCode == HttpStatusCode.PreconditionFailed, $"{what} with {name}: {value} answered {(int)response.StatusCode}");
            Assert.Null(StorageTestUser.ETagOf(response));
            response.Dispose();
        }

        await user.AssertDocumentAsync("/notes/a", "current", "text/plain", etag);
        await user.AssertMissingAsync("/notes/new");
        Assert.Equal(["a"], await user.ItemNamesAsync("/notes/"));
        Assert.Equal(root, await user.ETagAsync("/"));
    }

    [Theory]
    [MemberData(nameof(UnparseablePreconditions))]
    public async Task A_read_ignores_an_unparseable_precondition_and_answers_200_with_the_whole_document(string name, string value)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "current");

        using var get = await user.GetAsync("/notes/a", Header(name, value));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("current", await get.Content.ReadAsStringAsync());
        Assert.Equal(etag, StorageTestUser.ETagOf(get));

        using var head = await user.HeadAsync("/notes/a", Header(name, value));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(etag, StorageTestUser.ETagOf(head));

        using var folder = await user.GetAsync("/notes/", Header(name, value));
        Assert.Equal(HttpStatusCode.OK, folder.StatusCode);
        Assert.Contains("\"a\":", await folder.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_with_an_unparseable_if_match_still_applies_a_valid_if_none_match()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/notes/a", "current");

        using var get = await user.GetAsync("/notes/a", r =>
        {
            Header("If-Match", "\"match me\"")(r);
            Header("If-None-Match", etag)(r);
        });

        Assert.Equal(HttpStatusCode.NotModified, get.StatusCode);
        Assert.Equal(etag, StorageTestUser.ETagOf(get));
    }
}

public sealed class EdgeTests_Sqlite(SqliteServerFixture server) : EdgeTests(server), IClassFixture<SqliteServerFixture>;

public sealed class EdgeTests_Postgres(PostgresServerFixture server) : EdgeTests(server), IClassFixture<PostgresServerFixture>;

public sealed class EdgeTests_PostgresS3(PostgresS3ServerFixture server) : EdgeTests(server), IClassFixture<PostgresS3ServerFixture>;
