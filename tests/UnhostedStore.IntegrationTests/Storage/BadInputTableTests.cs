using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Malformed and refused requests (draft-26 §4–§6, §9; section 4.1/4.6 of our requirements), one
/// table row each: each gets its exact 4xx (never 500) and leaves the stored data exactly as it
/// was, alone and all sent to one storage.
/// </summary>
public abstract class BadInputTableTests(ServerFixture server) : BadInputTestBase
{
    private const string DefaultAuth = "Bearer {T}";

    protected override ServerFixture Server => server;

    /// <summary>
    /// One malformed or refused request. <c>{U}</c> in <see cref="Target"/> and <see cref="Headers"/>
    /// is the seeded user, <c>{T}</c> its <c>*:rw</c> token. <see cref="Auth"/> is the Authorization
    /// value sent (null: none). <see cref="KestrelAnswers"/> marks requests that are not valid
    /// HTTP/1.1, which Kestrel rejects itself before our code runs: those answers carry no CORS
    /// headers, which is acceptable for them, so only the status is asserted.
    /// </summary>
    public sealed record Row(
        string Method,
        string Target,
        int Status,
        string Headers = "",
        string? Body = null,
        string? Auth = DefaultAuth,
        bool KestrelAnswers = false);

    private static readonly string OverLimitChunked = BuildChunked((int)ServerFixture.MaxDocumentBytes + 4096, 65536);

    public static readonly Dictionary<string, Row> Rows = new(StringComparer.Ordinal)
    {
        // ---- paths (draft-26 §4: no empty, '.', '..' names; decode once, strictly) ----
        ["empty segment"] = Put("/storage/{U}/notes//evil", 400),
        ["empty segment under root"] = Put("/storage/{U}//evil", 400),
        ["dot segment"] = Put("/storage/{U}/notes/./evil", 400),
        ["dot-dot segment"] = Put("/storage/{U}/notes/../evil", 400),
        ["dot-dot climbing out of the storage root"] = Put("/storage/{U}/notes/sub/../../../{U}/evil", 400),
        ["trailing dot-dot"] = new("GET", "/storage/{U}/notes/..", 400),
        ["encoded dot-dot %2E%2E"] = Put("/storage/{U}/notes/%2E%2E/evil", 400),
        ["encoded dot %2e"] = Put("/storage/{U}/notes/%2e", 400),
        ["half-encoded dot-dot .%2e"] = Put("/storage/{U}/notes/.%2e/evil", 400),
        ["encoded slash %2F"] = Put("/storage/{U}/notes/a%2Fb", 400),
        ["encoded slash %2f lowercase"] = Put("/storage/{U}/notes/sub%2fevil", 400),
        // Kestrel itself refuses a request target that decodes to NUL, before our code runs (so
        // without CORS headers); StoragePath rejects it too (unit tests), should Kestrel ever let it through.
        ["NUL %00"] = Put("/storage/{U}/notes/a%00b", 400, kestrel: true),
        ["invalid percent-encoding %zz"] = Put("/storage/{U}/notes/%zz", 400),
        ["truncated percent-encoding %4"] = Put("/storage/{U}/notes/%4", 400),
        ["trailing percent"] = Put("/storage/{U}/notes/evil%", 400),
        ["percent-encoding with one hex digit %4g"] = Put("/storage/{U}/notes/%4gevil", 400),
        ["invalid UTF-8 %C3%28"] = Put("/storage/{U}/notes/%C3%28", 400),
        ["invalid UTF-8 %FF"] = Put("/storage/{U}/notes/%FF", 400),
        ["overlong UTF-8 %C0%AF"] = Put("/storage/{U}/notes/%C0%AF", 400),
        ["UTF-8 surrogate %ED%A0%80"] = Put("/storage/{U}/notes/%ED%A0%80", 400),
        ["truncated UTF-8 sequence %E2%82"] = Put("/storage/{U}/notes/%E2%82", 400),
        ["invalid UTF-8 in a folder name"] = new("GET", "/storage/{U}/%C3%28/", 400),
        ["raw double quote in a name"] = Put("/storage/{U}/notes/a\"b", 400),
        ["raw backslash in a name"] = Put("/storage/{U}/notes/a\\b", 400),
        ["URL over 8192 bytes"] = new("GET", "/storage/{U}/notes/" + new string('a', 8200), 414),
        ["URL over 8192 bytes on PUT"] = Put("/storage/{U}/notes/" + new string('b', 8200), 414),
        ["decoded path over the stored path limit"] = Put("/storage/{U}/notes/" + string.Concat(Enumerable.Repeat("%C3%A9", 1100)), 414),

        // Kestrel's own request-line limit (64 KiB) is far above ours; past it Kestrel answers.
        ["URL over the server's request line limit"] = new("GET", "/storage/{U}/notes/" + new string('c', 70_000), 414, KestrelAnswers: true),
        ["missing path after the user"] = new("GET", "/storage/{U}", 400),
        ["empty user"] = new("GET", "/storage//notes/a", 400),
        ["user named dot-dot"] = new("GET", "/storage/%2E%2E/notes/a", 400),
        ["user name over 64 characters"] = new("GET", "/storage/" + new string('u', 65) + "/notes/a", 400),
        ["user name with invalid percent-encoding"] = new("GET", "/storage/%zz/notes/a", 400),

        // ---- conditional headers (RFC 9110 §13.1.1–2) ----
        // RFC 9110 §13.2.1: a write whose precondition cannot be evaluated is not performed (412).
        ["If-Match not quoted"] = Put("/storage/{U}/notes/a", 412, "If-Match: abc\r\n"),
        ["If-Match with an unclosed quote"] = Put("/storage/{U}/notes/a", 412, "If-Match: \"abc\r\n"),
        ["If-Match with a bare W/"] = Put("/storage/{U}/notes/a", 412, "If-Match: W/\r\n"),
        ["If-Match empty list"] = Put("/storage/{U}/notes/a", 412, "If-Match: ,\r\n"),
        ["If-Match malformed on DELETE"] = new("DELETE", "/storage/{U}/notes/a", 412, "If-Match: abc\r\n"),
        ["If-None-Match two tags without comma on PUT"] = Put("/storage/{U}/notes/a", 412, "If-None-Match: \"a\" \"b\"\r\n"),
        ["If-None-Match star mixed with tags on DELETE"] = new("DELETE", "/storage/{U}/notes/a", 412, "If-None-Match: *, \"a\"\r\n"),
        ["If-None-Match star mixed with tags on PUT"] = Put("/storage/{U}/notes/a", 412, "If-None-Match: \"a\", *\r\n"),
        ["If-None-Match with 65 tags on PUT of a new document"] = Put("/storage/{U}/notes/evil", 412, "If-None-Match: " + string.Join(", ", Enumerable.Range(0, 65).Select(i => $"\"t{i}\"")) + "\r\n"),
        ["If-None-Match with a quote inside a tag on DELETE"] = new("DELETE", "/storage/{U}/notes/a", 412, "If-None-Match: \"a\"b\"\r\n"),
        ["If-Match with a space inside the quotes on DELETE of a missing document"] = new("DELETE", "/storage/{U}/notes/missing", 412, "If-Match: \"match me\"\r\n"),
        ["two If-Range headers"] = new("GET", "/storage/{U}/notes/a", 400, "Range: bytes=0-1\r\nIf-Range: \"a\"\r\nIf-Range: \"b\"\r\n"),

        // ---- Authorization (RFC 6750 §2.1 b64token) ----
        ["Authorization Bearer a b"] = Put("/storage/{U}/notes/a", 400, auth: "Bearer a b"),
        ["Authorization Bearer %zz"] = Put("/storage/{U}/notes/a", 400, auth: "Bearer %zz"),
        ["Authorization Bearer with a quoted token"] = Put("/storage/{U}/notes/a", 400, auth: "Bearer \"{T}\""),
        ["Authorization Bearer token then junk"] = Put("/storage/{U}/notes/a", 400, auth: "Bearer {T}=x"),
        ["two Authorization headers"] = Put("/storage/{U}/notes/a", 400, "Authorization: Bearer {T}\r\nAuthorization: Bearer {T}\r\n", auth: null),
        // An empty or blank Authorization header is no credentials at all: 401, like no header.
        ["Authorization whitespace only"] = Put("/storage/{U}/notes/a", 401, "Authorization: \t \r\n", auth: null),
        ["Authorization empty"] = Put("/storage/{U}/notes/a", 401, "Authorization:\r\n", auth: null),

        // Raw UTF-8 bytes of "é" (sent one byte per Latin-1 char): not a b64token. Kestrel lets
        // the bytes through to us (obs-text), and our parser refuses them.
        ["Authorization Bearer with non-ASCII bytes"] = Put("/storage/{U}/notes/a", 400, auth: "Bearer \u00C3\u00A9"),

        // ---- Content-Type on PUT (R54) ----
        ["PUT without Content-Type"] = new("PUT", "/storage/{U}/notes/a", 400, "Content-Length: 4\r\n", "evil"),
        ["Content-Type without subtype"] = Put("/storage/{U}/notes/a", 400, contentType: "text"),
        ["Content-Type with empty type"] = Put("/storage/{U}/notes/a", 400, contentType: "/plain"),
        ["Content-Type with empty subtype"] = Put("/storage/{U}/notes/a", 400, contentType: "text/"),
        ["Content-Type parameter without name"] = Put("/storage/{U}/notes/a", 400, contentType: "text/plain; =x"),
        ["Content-Type parameter without value"] = Put("/storage/{U}/notes/a", 400, contentType: "text/plain; charset="),
        ["Content-Type unterminated quoted string"] = Put("/storage/{U}/notes/a", 400, contentType: "text/plain; charset=\"utf-8"),
        ["Content-Type with a space in the type"] = Put("/storage/{U}/notes/a", 400, contentType: "text plain/x"),
        ["Content-Type too long"] = Put("/storage/{U}/notes/a", 400, contentType: "text/plain; x=" + new string('y', 1100)),
        ["two Content-Type headers"] = new("PUT", "/storage/{U}/notes/a", 400, "Content-Type: text/plain\r\nContent-Type: text/html\r\nContent-Length: 4\r\n", "evil"),

        // ---- ranges (we answer 416 for unsatisfiable and for malformed bytes= ranges) ----
        ["Range past the end"] = new("GET", "/storage/{U}/notes/a", 416, "Range: bytes=999999-\r\n"),
        ["Range end before start"] = new("GET", "/storage/{U}/notes/a", 416, "Range: bytes=5-2\r\n"),
        ["Range not numeric"] = new("GET", "/storage/{U}/notes/a", 416, "Range: bytes=abc\r\n"),
        ["Range starting at the length"] = new("GET", "/storage/{U}/notes/a", 416, "Range: bytes=5-\r\n"),
        ["Range empty suffix"] = new("GET", "/storage/{U}/notes/a", 416, "Range: bytes=-0\r\n"),
        ["Range negative start"] = new("GET", "/storage/{U}/notes/a", 416, "Range: bytes=-x-3\r\n"),

        // ---- bodies ----
        ["Content-Length over the limit"] = new("PUT", "/storage/{U}/notes/a", 413, $"Content-Type: text/plain\r\nContent-Length: {ServerFixture.MaxDocumentBytes + 1}\r\n"),
        ["Content-Length over the limit for a new document"] = new("PUT", "/storage/{U}/notes/evil", 413, "Content-Type: text/plain\r\nContent-Length: 99999999999\r\n"),
        ["chunked body over the limit"] = new("PUT", "/storage/{U}/notes/evil", 413, "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n", OverLimitChunked),
        ["chunked body over the limit replacing a document"] = new("PUT", "/storage/{U}/notes/a", 413, "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n", OverLimitChunked),
        ["Content-Range on PUT"] = Put("/storage/{U}/notes/a", 400, "Content-Range: bytes 0-3/4\r\n"),
        ["Content-Range on PUT of a new document"] = Put("/storage/{U}/notes/evil", 400, "Content-Range: bytes 0-3/10\r\n"),
        ["negative Content-Length"] = new("PUT", "/storage/{U}/notes/a", 400, "Content-Type: text/plain\r\nContent-Length: -4\r\n", "evil", KestrelAnswers: true),
        ["two different Content-Length headers"] = new("PUT", "/storage/{U}/notes/a", 400, "Content-Type: text/plain\r\nContent-Length: 4\r\nContent-Length: 5\r\n", "evil", KestrelAnswers: true),

        // ---- folders are implicit (draft-26 §5) ----
        ["PUT on a folder"] = Put("/storage/{U}/notes/", 400),
        ["PUT on the root folder"] = Put("/storage/{U}/", 400),
        ["PUT on a missing folder"] = Put("/storage/{U}/notes/evil/", 400),
        ["DELETE on a folder"] = new("DELETE", "/storage/{U}/notes/", 400),
        ["DELETE on a nested folder"] = new("DELETE", "/storage/{U}/notes/sub/", 400),
        ["DELETE on the root folder"] = new("DELETE", "/storage/{U}/", 400),

        // ---- methods ----
        ["PATCH"] = new("PATCH", "/storage/{U}/notes/a", 405, "Content-Type: text/plain\r\nContent-Length: 4\r\n", "evil"),
        ["POST"] = new("POST", "/storage/{U}/notes/a", 405, "Content-Type: text/plain\r\nContent-Length: 4\r\n", "evil"),
        ["POST to a folder"] = new("POST", "/storage/{U}/notes/", 405, "Content-Type: text/plain\r\nContent-Length: 4\r\n", "evil"),
        ["PROPFIND"] = new("PROPFIND", "/storage/{U}/notes/", 405, "Depth: 1\r\n"),
        ["MKCOL"] = new("MKCOL", "/storage/{U}/notes/evil/", 405),
        ["MOVE"] = new("MOVE", "/storage/{U}/notes/a", 405, "Destination: /storage/{U}/notes/evil\r\n"),
        ["BREW"] = new("BREW", "/storage/{U}/notes/a", 405),
        ["lowercase put (methods are case-sensitive)"] = new("put", "/storage/{U}/notes/a", 405, "Content-Type: text/plain\r\nContent-Length: 4\r\n", "evil"),
        ["lowercase delete"] = new("delete", "/storage/{U}/notes/a", 405),
        ["lowercase head"] = new("head", "/storage/{U}/notes/a", 405),
        ["method on a malformed path"] = new("PATCH", "/storage/{U}/notes/../a", 405),

        // ---- transfer codings (RFC 9112 §6.1) ----
        ["Transfer-Encoding gzip, chunked"] = new("PUT", "/storage/{U}/notes/a", 501, "Content-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n", "4\r\nevil\r\n0\r\n\r\n"),
        ["Transfer-Encoding deflate, chunked on a new document"] = new("PUT", "/storage/{U}/notes/evil", 501, "Content-Type: text/plain\r\nTransfer-Encoding: deflate, chunked\r\n", "4\r\nevil\r\n0\r\n\r\n"),

        // A request whose final coding is not chunked has no knowable length (RFC 9112 §6.3): Kestrel answers.
        ["Transfer-Encoding gzip alone"] = new("PUT", "/storage/{U}/notes/a", 400, "Content-Type: text/plain\r\nTransfer-Encoding: gzip\r\n", "evil", KestrelAnswers: true),

        // ---- conflicts and failed preconditions ----
        ["PUT below a document"] = Put("/storage/{U}/notes/a/evil", 409),
        ["PUT two levels below a document"] = Put("/storage/{U}/notes/a/b/evil", 409),
        ["PUT a document where a folder is"] = Put("/storage/{U}/notes/sub", 409),
        ["PUT a document where a public folder is"] = Put("/storage/{U}/public/notes", 409),
        ["PUT with a stale If-Match"] = Put("/storage/{U}/notes/a", 412, "If-Match: \"stale\"\r\n"),
        ["PUT with If-Match on a missing document"] = Put("/storage/{U}/notes/evil", 412, "If-Match: \"stale\"\r\n"),
        ["PUT with If-None-Match star on an existing document"] = Put("/storage/{U}/notes/a", 412, "If-None-Match: *\r\n"),
        ["DELETE with a stale If-Match"] = new("DELETE", "/storage/{U}/notes/a", 412, "If-Match: \"stale\"\r\n"),
        ["DELETE of a missing document"] = new("DELETE", "/storage/{U}/notes/missing", 404),
        ["DELETE of a missing document with If-Match"] = new("DELETE", "/storage/{U}/notes/missing", 404, "If-Match: \"x\"\r\n"),
        ["GET of a missing document"] = new("GET", "/storage/{U}/notes/missing", 404),

        // ---- access ----
        ["PUT without a token"] = Put("/storage/{U}/notes/a", 401, auth: null),
        ["PUT with an unknown token"] = Put("/storage/{U}/notes/a", 401, auth: "Bearer NoSuchToken"),
        ["PUT with another scheme"] = Put("/storage/{U}/notes/a", 401, auth: "Basic dXNlcjpwYXNz"),
        ["PUT to another user's storage"] = Put("/storage/someone-else/notes/a", 403),
    };

    public static TheoryData<string> RowNames => new(Rows.Keys);

    [Fact]
    public void The_table_has_at_least_45_rows_and_covers_every_expected_status()
    {
        Assert.True(Rows.Count >= 45, $"only {Rows.Count} rows");
        foreach (var status in new[] { 400, 401, 403, 404, 405, 409, 412, 413, 414, 416, 501 })
        {
            Assert.Contains(Rows.Values, r => r.Status == status);
        }
    }

    [Theory]
    [MemberData(nameof(RowNames))]
    public async Task Malformed_or_refused_request_gets_its_exact_4xx_and_changes_nothing(string name)
    {
        var row = Rows[name];
        var (user, token) = await SeedAsync();
        var before = await SnapshotAsync(user, token);

        var response = await SendRowAsync(row, user, token);

        Assert.NotEqual(500, response.Status);
        Assert.True(row.Status == response.Status, $"{name}: expected {row.Status}, got {response.StatusLine}\n{response.BodyText}");
        if (!row.KestrelAnswers)
        {
            // Our handler answered: CORS like every storage response.
            Assert.Equal(Origin, response.Header("Access-Control-Allow-Origin"));
            Assert.Equal("no-cache", response.Header("Cache-Control"));
        }

        if (row.Status == 405)
        {
            Assert.Equal(AllowedMethods, response.Header("Allow"));
        }

        if (row.Status == 416)
        {
            Assert.Equal("bytes */5", response.Header("Content-Range"));
        }

        Assert.Null(response.Header("Content-Encoding"));
        await AssertEventuallyUnchangedAsync(user, token, before);
    }

    [Fact]
    public async Task The_whole_table_sent_to_one_storage_leaves_it_unchanged()
    {
        var (user, token) = await SeedAsync();
        var before = await SnapshotAsync(user, token);
        foreach (var (name, row) in Rows)
        {
            var response = await SendRowAsync(row, user, token);
            Assert.True(row.Status == response.Status, $"{name}: expected {row.Status}, got {response.StatusLine}");
        }

        await AssertEventuallyUnchangedAsync(user, token, before);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static Row Put(string target, int status, string headers = "", string? auth = DefaultAuth, string contentType = "text/plain", bool kestrel = false) =>
        new("PUT", target, status, $"Content-Type: {contentType}\r\nContent-Length: 4\r\n{headers}", "evil", auth, kestrel);

    private static string BuildChunked(int total, int chunk)
    {
        var sb = new StringBuilder(total + 1024);
        var data = new string('q', chunk);
        for (var sent = 0; sent < total; sent += chunk)
        {
            sb.Append(chunk.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n").Append(data).Append("\r\n");
        }

        return sb.Append("0\r\n\r\n").ToString();
    }

    private Task<RawResponse> SendRowAsync(Row row, string user, string token)
    {
        static string Fill(string s, string user, string token) =>
            s.Replace("{U}", user, StringComparison.Ordinal).Replace("{T}", token, StringComparison.Ordinal);

        var auth = row.Auth is null ? string.Empty : $"Authorization: {Fill(row.Auth, user, token)}\r\n";
        var head = $"{row.Method} {Fill(row.Target, user, token)} HTTP/1.1\r\nHost: x\r\nOrigin: {Origin}\r\n{auth}{Fill(row.Headers, user, token)}Connection: close\r\n\r\n";
        return RawHttp.SendAsync(server.BaseAddress, head, row.Body is null ? null : Encoding.Latin1.GetBytes(row.Body));
    }
}

public sealed class BadInputTableTests_Sqlite(SqliteServerFixture server) : BadInputTableTests(server), IClassFixture<SqliteServerFixture>;

public sealed class BadInputTableTests_Postgres(PostgresServerFixture server) : BadInputTableTests(server), IClassFixture<PostgresServerFixture>;

public sealed class BadInputTableTests_PostgresS3(PostgresS3ServerFixture server) : BadInputTableTests(server), IClassFixture<PostgresS3ServerFixture>;
