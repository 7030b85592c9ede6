using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// CORS on every storage response (draft-26 §7, §12.4; R70–R74 and section 8 "CORS"), and no
/// content-coding ever (R79, section 8 "Compression").
/// </summary>
public abstract class CorsTests(ServerFixture server)
{
    private static readonly string[] ExposedHeaders = ["ETag", "Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "Retry-After", "WWW-Authenticate"];

    private static readonly string[] PreflightMethods = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"];

    private static readonly string[] PreflightHeaders =
        ["Authorization", "Content-Type", "Content-Length", "Origin", "X-Requested-With", "If-Match", "If-None-Match", "Range"];

    /// <summary>One request per status code the storage API answers with.</summary>
    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(206)]
    [InlineData(304)]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(405)]
    [InlineData(409)]
    [InlineData(412)]
    [InlineData(413)]
    [InlineData(414)]
    [InlineData(416)]
    [InlineData(501)]
    public async Task Every_response_echoes_the_origin_and_exposes_headers_without_credentials(int status)
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        await PutAsync(user, token, "/notes/a", "hello");
        var other = server.Tokens.Issue(user, "contacts:rw");
        var doc = $"/storage/{user}/notes/a";
        var (head, body) = status switch
        {
            200 => ($"GET {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n", null),
            201 => ($"PUT /storage/{user}/notes/new HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "hi"),
            206 => ($"GET {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nRange: bytes=0-1\r\n", null),
            304 => ($"GET {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nIf-None-Match: *\r\n", null),
            400 => ($"PUT /storage/{user}/notes/ HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "hi"),
            401 => ($"GET {doc} HTTP/1.1\r\n", null),
            403 => ($"GET {doc} HTTP/1.1\r\nAuthorization: Bearer {other}\r\n", null),
            404 => ($"GET /storage/{user}/notes/missing HTTP/1.1\r\nAuthorization: Bearer {token}\r\n", null),
            405 => ($"BREW {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n", null),
            409 => ($"PUT {doc}/x HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "hi"),
            412 => ($"PUT {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nIf-Match: \"stale\"\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "hi"),
            413 => ($"PUT {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nContent-Length: {ServerFixture.MaxDocumentBytes + 1}\r\n", null),
            414 => ($"GET /storage/{user}/notes/{new string('a', 8200)} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n", null),
            416 => ($"GET {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nRange: bytes=99-\r\n", null),
            501 => ($"PUT {doc} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };

        var origin = $"https://app{status}.example:8443";
        var response = await RawHttp.SendAsync(
            server.BaseAddress,
            head + $"Host: x\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n",
            body is null ? null : Encoding.ASCII.GetBytes(body));

        Assert.Equal(status, response.Status);
        AssertCors(response, origin);
    }

    [Theory]
    [InlineData("PUT", "/notes/a")]
    [InlineData("DELETE", "/notes/a")]
    [InlineData("GET", "/notes/")]
    [InlineData("PUT", "/")]
    public async Task Preflight_answers_2xx_with_exact_methods_and_headers_and_the_echoed_origin(string requestMethod, string path)
    {
        var user = ServerFixture.NewUser();
        const string origin = "https://strict-checker.example";
        var response = await RawHttp.SendAsync(
            server.BaseAddress,
            $"OPTIONS /storage/{user}{path} HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: {requestMethod}\r\n" +
            "Access-Control-Request-Headers: authorization, content-type, if-match, if-none-match\r\nConnection: close\r\n\r\n");

        Assert.InRange(response.Status, 200, 299);
        AssertCors(response, origin);

        var methods = response.Header("Access-Control-Allow-Methods");
        Assert.Equal("GET, HEAD, PUT, DELETE, OPTIONS", methods);
        foreach (var m in PreflightMethods)
        {
            Assert.Contains(m, SplitList(methods));
        }

        var headers = response.Header("Access-Control-Allow-Headers");
        Assert.Equal("Authorization, Content-Type, Content-Length, Origin, X-Requested-With, If-Match, If-None-Match, Range, Last-Event-ID", headers);
        var allowed = SplitList(headers).Select(h => h.ToLowerInvariant()).ToList();
        foreach (var h in PreflightHeaders)
        {
            Assert.Contains(h.ToLowerInvariant(), allowed);
        }
    }

    [Fact]
    public async Task Preflight_needs_no_token_and_reveals_no_challenge()
    {
        var user = ServerFixture.NewUser();
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/storage/{user}/notes/a");
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "DELETE");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("NoSuchToken")]
    public async Task A_401_exposes_its_www_authenticate_and_retry_after_to_the_app_origin(string? token)
    {
        var user = ServerFixture.NewUser();
        var response = await RawHttp.SendAsync(
            server.BaseAddress,
            $"GET /storage/{user}/notes/a HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n" +
            (token is null ? string.Empty : $"Authorization: Bearer {token}\r\n") + "Connection: close\r\n\r\n");

        Assert.Equal(401, response.Status);
        Assert.NotNull(response.Header("WWW-Authenticate"));
        var exposed = SplitList(response.Header("Access-Control-Expose-Headers"));
        Assert.Contains("WWW-Authenticate", exposed);
        Assert.Contains("Retry-After", exposed);
    }

    [Fact]
    public async Task Response_without_origin_allows_any_origin()
    {
        var user = ServerFixture.NewUser();
        var response = await RawHttp.SendAsync(server.BaseAddress, $"GET /storage/{user}/notes/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(401, response.Status);
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.Null(response.Header("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task Public_document_read_without_token_carries_cors_headers()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        await PutAsync(user, token, "/public/notes/p", "shared");
        const string origin = "https://reader.example";
        foreach (var method in new[] { "GET", "HEAD" })
        {
            var response = await RawHttp.SendAsync(server.BaseAddress, $"{method} /storage/{user}/public/notes/p HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n");
            Assert.Equal(200, response.Status);
            AssertCors(response, origin);
        }
    }

    // ---- R79: no content-coding ----------------------------------------------------------------

    [Fact]
    public async Task Accept_encoding_never_compresses_a_document()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var text = string.Concat(Enumerable.Repeat("compress me please, I am very repetitive. ", 500));
        await PutAsync(user, token, "/notes/big.txt", text);

        using var client = server.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/big.txt").WithToken(token);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, br");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.GetBytes(text), bytes);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Accept_encoding_never_compresses_a_folder_listing_or_an_error()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        for (var i = 0; i < 20; i++)
        {
            await PutAsync(user, token, $"/notes/item-{i:D2}", "x");
        }

        foreach (var (path, auth, expected) in new[] { ("/notes/", true, 200), ("/notes/missing", true, 404), ("/notes/", false, 401) })
        {
            var response = await RawHttp.SendAsync(
                server.BaseAddress,
                $"GET /storage/{user}{path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\n{(auth ? $"Authorization: Bearer {token}\r\n" : string.Empty)}Connection: close\r\n\r\n");
            Assert.Equal(expected, response.Status);
            Assert.Null(response.Header("Content-Encoding"));
            Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
            if (expected == 200)
            {
                Assert.StartsWith("{\"@context\":", response.BodyText, StringComparison.Ordinal);
            }
        }
    }

    // ---- section 8: identical state gives identical answers ------------------------------------

    [Theory]
    [InlineData("GET", "/notes/a")]
    [InlineData("HEAD", "/notes/a")]
    [InlineData("GET", "/notes/")]
    [InlineData("GET", "/notes/missing")]
    [InlineData("PUT", "/notes/")]
    public async Task Identical_requests_on_identical_state_get_identical_answers(string method, string path)
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        await PutAsync(user, token, "/notes/a", "hello");
        var request = $"{method} /storage/{user}{path} HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAuthorization: Bearer {token}\r\n" +
            (method == "PUT" ? "Content-Type: text/plain\r\nContent-Length: 0\r\n" : string.Empty) + "Connection: close\r\n\r\n";
        var first = await RawHttp.SendAsync(server.BaseAddress, request);
        var second = await RawHttp.SendAsync(server.BaseAddress, request);
        Assert.Equal(first.StatusLine, second.StatusLine);
        Assert.Equal(WithoutDate(first.Headers), WithoutDate(second.Headers));
        Assert.Equal(first.Body, second.Body);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void AssertCors(RawResponse response, string origin)
    {
        Assert.Equal(origin, response.Header("Access-Control-Allow-Origin"));
        Assert.Single(response.Headers, h => string.Equals(h.Key, "Access-Control-Allow-Origin", StringComparison.OrdinalIgnoreCase));
        Assert.Null(response.Header("Access-Control-Allow-Credentials"));
        var exposed = SplitList(response.Header("Access-Control-Expose-Headers")).Select(h => h.ToLowerInvariant()).ToList();
        foreach (var name in ExposedHeaders)
        {
            Assert.Contains(name.ToLowerInvariant(), exposed);
        }
    }

    private static List<string> SplitList(string? value) =>
        (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static List<string> WithoutDate(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        headers.Where(h => !string.Equals(h.Key, "Date", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key.ToLowerInvariant() + ": " + h.Value)
            .ToList();

    private async Task PutAsync(string user, string token, string path, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain; charset=utf-8");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"seed PUT {path} -> {(int)response.StatusCode}");
    }
}

public sealed class CorsTests_Sqlite(SqliteServerFixture server) : CorsTests(server), IClassFixture<SqliteServerFixture>;

public sealed class CorsTests_Postgres(PostgresServerFixture server) : CorsTests(server), IClassFixture<PostgresServerFixture>;

public sealed class CorsTests_PostgresS3(PostgresS3ServerFixture server) : CorsTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class CorsTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : CorsTests(server);
