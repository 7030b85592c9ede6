using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Access control (draft-26 §5, §9; requirements R62–R69 and section 8 "identical state gives
/// identical answers").
/// </summary>
public abstract class AccessTests(ServerFixture server)
{
    private static readonly string[] ReadMethods = ["GET", "HEAD"];

    private readonly Dictionary<string, string> _seedSnapshots = new(StringComparer.Ordinal);

    // ---- 401 -------------------------------------------------------------------------------

    [Fact]
    public async Task Get_without_token_returns_401_with_plain_bearer_challenge()
    {
        var user = await SeedAsync();
        using var response = await SendAsync("GET", $"/storage/{user}/notes/a", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.GetValues("WWW-Authenticate")));
    }

    [Theory]
    [InlineData("GET", "/notes/a")]
    [InlineData("HEAD", "/notes/a")]
    [InlineData("GET", "/notes/")]
    [InlineData("GET", "/")]
    [InlineData("PUT", "/notes/new")]
    [InlineData("DELETE", "/notes/a")]
    [InlineData("PUT", "/public/notes/new")]
    [InlineData("DELETE", "/public/notes/p")]
    public async Task Any_protected_request_without_token_returns_401_with_bearer_challenge(string method, string path)
    {
        var user = await SeedAsync();
        using var response = await SendAsync(method, $"/storage/{user}{path}", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.GetValues("WWW-Authenticate")));
        await AssertSeedUnchangedAsync(user);
    }

    [Fact]
    public async Task Unknown_token_returns_401_with_invalid_token_error()
    {
        var user = await SeedAsync();
        using var response = await SendAsync("GET", $"/storage/{user}/notes/a", token: "NoSuchToken-abcdefghijklmnopqrstuvwxyz012345");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.GetValues("WWW-Authenticate"));
        Assert.StartsWith("Bearer", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_token_returns_401_with_invalid_token_error()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "notes:rw");
        using (var before = await SendAsync("GET", $"/storage/{user}/notes/a", token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        server.Tokens.Revoke(token);
        using var response = await SendAsync("GET", $"/storage/{user}/notes/a", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.GetValues("WWW-Authenticate"));
        Assert.StartsWith("Bearer", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);

        using var put = await SendAsync("PUT", $"/storage/{user}/notes/a", token, "changed");
        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        await AssertSeedUnchangedAsync(user);
    }

    // ---- 403 insufficient scope ----------------------------------------------------------------

    [Theory]
    [InlineData("GET", "/notes/a")]
    [InlineData("HEAD", "/notes/a")]
    [InlineData("GET", "/notes/")]
    [InlineData("PUT", "/notes/a")]
    [InlineData("DELETE", "/notes/a")]
    [InlineData("PUT", "/public/notes/p")]
    [InlineData("DELETE", "/public/notes/p")]
    [InlineData("GET", "/public/notes/")]
    public async Task Token_for_another_module_returns_403_insufficient_scope(string method, string path)
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "contacts:rw");
        using var response = await SendAsync(method, $"/storage/{user}{path}", token, "changed");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", Assert.Single(response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        await AssertSeedUnchangedAsync(user);
    }

    [Theory]
    [InlineData("PUT", "/notes/a")]
    [InlineData("PUT", "/notes/new")]
    [InlineData("DELETE", "/notes/a")]
    [InlineData("PUT", "/public/notes/p")]
    [InlineData("DELETE", "/public/notes/p")]
    public async Task Read_only_module_scope_cannot_put_or_delete(string method, string path)
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "notes:r");
        using var response = await SendAsync(method, $"/storage/{user}{path}", token, "changed");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", Assert.Single(response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        await AssertSeedUnchangedAsync(user);
    }

    // ---- what each scope allows ----------------------------------------------------------------

    [Theory]
    [InlineData("notes:rw")]
    [InlineData("notes:r")]
    public async Task Module_scope_allows_get_and_head_under_the_module_and_its_public_folder(string scope)
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, scope);
        foreach (var path in new[] { "/notes/a", "/notes/sub/b", "/notes/", "/notes/sub/", "/public/notes/p", "/public/notes/" })
        {
            foreach (var method in ReadMethods)
            {
                using var response = await SendAsync(method, $"/storage/{user}{path}", token);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{scope} {method} {path} -> {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Read_write_module_scope_allows_every_method_under_the_module()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "notes:rw");
        await AssertWriteCycleAsync(user, token, "/notes/new");
        await AssertWriteCycleAsync(user, token, "/notes/deep/er/doc");
        await AssertWriteCycleAsync(user, token, "/notes/a");
    }

    [Fact]
    public async Task Read_write_module_scope_allows_every_method_under_the_public_module_folder()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "notes:rw");
        await AssertWriteCycleAsync(user, token, "/public/notes/new");
        await AssertWriteCycleAsync(user, token, "/public/notes/p");
    }

    [Theory]
    [InlineData("notes:rw", "GET", "/other/x")]
    [InlineData("notes:rw", "PUT", "/other/x")]
    [InlineData("notes:rw", "DELETE", "/public/other/x")]
    [InlineData("notes:rw", "PUT", "/public/other/x")]
    [InlineData("notes:rw", "GET", "/other/")]
    [InlineData("notes:r", "GET", "/public/other/")]
    [InlineData("notes:rw", "PUT", "/notesx/a")]
    [InlineData("notes:rw", "PUT", "/notes")]
    [InlineData("notes:rw", "PUT", "/public/notes")]
    public async Task Module_scope_does_not_reach_other_modules_or_documents_outside_its_folder(string scope, string method, string path)
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, scope);
        using var response = await SendAsync(method, $"/storage/{user}{path}", token, "x");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", Assert.Single(response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        await AssertSeedUnchangedAsync(user);
    }

    [Theory]
    [InlineData("notes:rw", "/")]
    [InlineData("notes:rw", "/public/")]
    [InlineData("notes:r", "/")]
    [InlineData("notes:r", "/public/")]
    public async Task Module_scope_cannot_list_root_or_public_root(string scope, string path)
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, scope);
        foreach (var method in ReadMethods)
        {
            using var response = await SendAsync(method, $"/storage/{user}{path}", token);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", Assert.Single(response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Read_all_scope_allows_get_and_head_everywhere_including_root_listing()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "*:r");
        foreach (var path in new[] { "/", "/public/", "/notes/", "/notes/a", "/notes/sub/b", "/public/notes/", "/public/notes/p", "/other/", "/public/other/" })
        {
            foreach (var method in ReadMethods)
            {
                using var response = await SendAsync(method, $"/storage/{user}{path}", token);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"*:r {method} {path} -> {(int)response.StatusCode}");
            }
        }

        using var root = await SendAsync("GET", $"/storage/{user}/", token);
        var listing = await root.Content.ReadAsStringAsync();
        Assert.Contains("\"notes/\":", listing, StringComparison.Ordinal);
        Assert.Contains("\"public/\":", listing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PUT", "/notes/a")]
    [InlineData("PUT", "/x")]
    [InlineData("DELETE", "/notes/a")]
    [InlineData("PUT", "/public/notes/p")]
    [InlineData("DELETE", "/public/notes/p")]
    public async Task Read_all_scope_cannot_write(string method, string path)
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "*:r");
        using var response = await SendAsync(method, $"/storage/{user}{path}", token, "changed");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", Assert.Single(response.Headers.GetValues("WWW-Authenticate")), StringComparison.Ordinal);
        await AssertSeedUnchangedAsync(user);
    }

    [Fact]
    public async Task Read_write_all_scope_allows_everything_everywhere()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "*:rw");
        await AssertWriteCycleAsync(user, token, "/toplevel");
        await AssertWriteCycleAsync(user, token, "/public/toplevel");
        await AssertWriteCycleAsync(user, token, "/anything/x");
        await AssertWriteCycleAsync(user, token, "/public/other/x");
        await AssertWriteCycleAsync(user, token, "/notes/a");
        foreach (var path in new[] { "/", "/public/", "/notes/" })
        {
            foreach (var method in ReadMethods)
            {
                using var response = await SendAsync(method, $"/storage/{user}{path}", token);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"*:rw {method} {path} -> {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Scopes_are_a_union()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "contacts:r", "notes:rw");
        using (var put = await SendAsync("PUT", $"/storage/{user}/notes/new", token, "x"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var get = await SendAsync("GET", $"/storage/{user}/contacts/", token))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        using var denied = await SendAsync("PUT", $"/storage/{user}/contacts/x", token, "x");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    // ---- public documents ----------------------------------------------------------------------

    [Fact]
    public async Task Public_document_get_and_head_succeed_without_token()
    {
        var user = await SeedAsync();
        using var get = await SendAsync("GET", $"/storage/{user}/public/notes/p", token: null);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("public!", await get.Content.ReadAsStringAsync());
        Assert.Equal("no-cache, public", RawHeader(get, "Cache-Control"));
        Assert.NotNull(get.Headers.ETag);

        using var head = await SendAsync("HEAD", $"/storage/{user}/public/notes/p", token: null);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("no-cache, public", RawHeader(head, "Cache-Control"));
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(7, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Public_document_is_readable_with_a_token_that_does_not_cover_it()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(ServerFixture.NewUser(), "contacts:r");
        using var get = await SendAsync("GET", $"/storage/{user}/public/notes/p", token);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("public!", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Public_document_directly_under_public_is_readable_without_token()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        using (var put = await SendAsync("PUT", $"/storage/{user}/public/top", token, "top"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var get = await SendAsync("GET", $"/storage/{user}/public/top", token: null);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("top", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Missing_public_document_without_token_returns_404()
    {
        var user = await SeedAsync();
        using var get = await SendAsync("GET", $"/storage/{user}/public/notes/missing", token: null);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Null(get.Headers.ETag);
    }

    [Theory]
    [InlineData("/public/notes/")]
    [InlineData("/public/")]
    [InlineData("/public/nothing/here/")]
    public async Task Public_folder_listing_without_token_returns_401(string path)
    {
        var user = await SeedAsync();
        foreach (var method in ReadMethods)
        {
            using var response = await SendAsync(method, $"/storage/{user}{path}", token: null);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", Assert.Single(response.Headers.GetValues("WWW-Authenticate")));
        }
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Public_document_cannot_be_written_without_token(string method)
    {
        var user = await SeedAsync();
        using var response = await SendAsync(method, $"/storage/{user}/public/notes/p", token: null, "changed");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertSeedUnchangedAsync(user);
    }

    // ---- other users ---------------------------------------------------------------------------

    [Theory]
    [InlineData("GET", "/notes/a")]
    [InlineData("HEAD", "/notes/a")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/notes/missing")]
    [InlineData("PUT", "/notes/a")]
    [InlineData("PUT", "/notes/new")]
    [InlineData("DELETE", "/notes/a")]
    public async Task Token_of_another_user_returns_403(string method, string path)
    {
        var owner = await SeedAsync();
        var intruder = ServerFixture.NewUser();
        var token = server.Tokens.Issue(intruder, "*:rw");
        using var response = await SendAsync(method, $"/storage/{owner}{path}", token, "stolen");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertSeedUnchangedAsync(owner);
    }

    // ---- OPTIONS and ordering ------------------------------------------------------------------

    [Theory]
    [InlineData("/notes/a")]
    [InlineData("/notes/")]
    [InlineData("/")]
    [InlineData("/public/notes/p")]
    public async Task Options_needs_no_token(string path)
    {
        var user = await SeedAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/storage/{user}{path}");
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
    }

    [Fact]
    public async Task Access_is_checked_before_existence_so_a_missing_document_without_token_is_401()
    {
        var user = await SeedAsync();
        using var get = await SendAsync("GET", $"/storage/{user}/notes/missing", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        using var delete = await SendAsync("DELETE", $"/storage/{user}/notes/missing", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);

        // A wrong-scope token learns nothing either: 403, never 404.
        var token = server.Tokens.Issue(user, "contacts:rw");
        using var scoped = await SendAsync("GET", $"/storage/{user}/notes/missing", token);
        Assert.Equal(HttpStatusCode.Forbidden, scoped.StatusCode);
    }

    [Fact]
    public async Task Access_is_checked_before_the_body_size_so_an_oversized_put_without_token_is_401()
    {
        var user = await SeedAsync();
        using var content = new ByteArrayContent(new byte[2 * 1024 * 1024]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/big") { Content = content };
        using var response = await server.NewClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertSeedUnchangedAsync(user);
    }

    [Fact]
    public async Task Access_is_checked_before_conditions_and_content_type()
    {
        var user = await SeedAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/a") { Content = new ByteArrayContent([1]) };
        request.Headers.TryAddWithoutValidation("If-Match", "not-a-tag");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        using var get = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/a");
        get.Headers.TryAddWithoutValidation("Range", "bytes=999-");
        using var getResponse = await server.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.Unauthorized, getResponse.StatusCode);
    }

    // ---- section 8: identical state gives identical answers ------------------------------------

    [Theory]
    [InlineData(null)]
    [InlineData("NoSuchToken-abcdefghijklmnopqrstuvwxyz012345")]
    public async Task Unauthorized_listing_of_existing_and_missing_public_folders_is_indistinguishable(string? token)
    {
        var user = ServerFixture.NewUser();
        var writer = server.Tokens.Issue(user, "*:rw");
        using (var put = await SendAsync("PUT", $"/storage/{user}/public/x/doc", writer, "secret list"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var auth = token is null ? string.Empty : $"Authorization: Bearer {token}\r\n";
        var existing = await RawHttp.SendAsync(server.BaseAddress, $"GET /storage/{user}/public/x/ HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n{auth}Connection: close\r\n\r\n");
        var missing = await RawHttp.SendAsync(server.BaseAddress, $"GET /storage/{user}/public/y/ HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n{auth}Connection: close\r\n\r\n");

        Assert.Equal(401, existing.Status);
        Assert.Equal(existing.StatusLine, missing.StatusLine);
        Assert.Equal(WithoutDate(existing.Headers), WithoutDate(missing.Headers));
        Assert.Equal(existing.Body, missing.Body);
    }

    [Fact]
    public async Task Forbidden_listing_of_existing_and_missing_folders_is_indistinguishable()
    {
        var user = await SeedAsync();
        var token = server.Tokens.Issue(user, "contacts:rw");
        var existing = await RawHttp.SendAsync(server.BaseAddress, $"GET /storage/{user}/notes/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
        var missing = await RawHttp.SendAsync(server.BaseAddress, $"GET /storage/{user}/nothing/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
        Assert.Equal(403, existing.Status);
        Assert.Equal(existing.StatusLine, missing.StatusLine);
        Assert.Equal(WithoutDate(existing.Headers), WithoutDate(missing.Headers));
        Assert.Equal(existing.Body, missing.Body);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /// <summary>A response header exactly as sent (HttpClient reformats Cache-Control when parsed).</summary>
    private static string RawHeader(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : "<absent>";

    private static List<string> WithoutDate(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        headers.Where(h => !string.Equals(h.Key, "Date", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key.ToLowerInvariant() + ": " + h.Value)
            .ToList();

    /// <summary>A fresh user with /notes/a, /notes/sub/b and /public/notes/p.</summary>
    private async Task<string> SeedAsync()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        foreach (var (path, body) in Seed)
        {
            using var response = await SendAsync("PUT", $"/storage/{user}{path}", token, body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        _seedSnapshots[user] = await SnapshotAsync(user);
        return user;
    }

    private static readonly (string Path, string Body)[] Seed =
    [
        ("/notes/a", "hello"),
        ("/notes/sub/b", "world"),
        ("/public/notes/p", "public!"),
    ];

    /// <summary>Fails when anything the seed stored (bytes, versions, listings) has changed.</summary>
    private async Task AssertSeedUnchangedAsync(string user) =>
        Assert.Equal(_seedSnapshots[user], await SnapshotAsync(user));

    private async Task<string> SnapshotAsync(string user)
    {
        var token = server.Tokens.Issue(user, "*:r");
        var snapshot = new StringBuilder();
        foreach (var path in Seed.Select(s => s.Path).Concat(["/", "/notes/", "/notes/sub/", "/public/", "/public/notes/"]))
        {
            using var response = await SendAsync("GET", $"/storage/{user}{path}", token);
            snapshot.Append(path).Append(' ').Append((int)response.StatusCode).Append(' ').Append(response.Headers.ETag)
                .Append(' ').AppendLine(await response.Content.ReadAsStringAsync());
        }

        return snapshot.ToString();
    }

    /// <summary>PUT (create or replace), GET, HEAD, DELETE of one document with one token.</summary>
    private async Task AssertWriteCycleAsync(string user, string token, string path)
    {
        var url = $"/storage/{user}{path}";
        using (var put = await SendAsync("PUT", url, token, "cycle " + path))
        {
            Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {path} -> {(int)put.StatusCode}");
        }

        using (var get = await SendAsync("GET", url, token))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("cycle " + path, await get.Content.ReadAsStringAsync());
        }

        using (var head = await SendAsync("HEAD", url, token))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        var parent = url[..(url.LastIndexOf('/') + 1)];
        using (var list = await SendAsync("GET", parent, token))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        using (var delete = await SendAsync("DELETE", url, token))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        using var gone = await SendAsync("GET", url, token);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string url, string? token, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (token is not null)
        {
            request.WithToken(token);
        }

        if (method == "PUT")
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body ?? string.Empty));
            content.Headers.TryAddWithoutValidation("Content-Type", "text/plain; charset=utf-8");
            request.Content = content;
        }

        return await server.Client.SendAsync(request);
    }
}

public sealed class AccessTests_Sqlite(SqliteServerFixture server) : AccessTests(server), IClassFixture<SqliteServerFixture>;

public sealed class AccessTests_Postgres(PostgresServerFixture server) : AccessTests(server), IClassFixture<PostgresServerFixture>;

public sealed class AccessTests_PostgresS3(PostgresS3ServerFixture server) : AccessTests(server), IClassFixture<PostgresS3ServerFixture>;

/// <summary>
/// draft-26 §9: "public" is never a module, so no grant can name it. The admin CLI's
/// <c>tokens issue</c>, the operator's way to mint a token, refuses such a scope and stores no
/// grant (the OAuth dialog's refusal is in OAuth/ImplicitFlowTests).
/// </summary>
public sealed class ScopeGrantTests(SqliteServerFixture server) : IClassFixture<SqliteServerFixture>
{
    [Theory]
    [InlineData("public:rw")]
    [InlineData("public:r")]
    [InlineData("notes:x")]
    public async Task The_cli_refuses_a_token_for_an_invalid_scope_and_stores_no_grant(string scope)
    {
        var user = ServerFixture.NewUser();
        await using (var services = server.CreateScope())
        {
            await TestTokens.EnsureAccountAsync(services.ServiceProvider, user);
        }

        var result = await CliRunner.RunAsync(server, null, "tokens", "issue", user, "--scope", scope);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains($"'{scope}' is not a valid scope", result.Stderr, StringComparison.Ordinal);

        await using (var services = server.CreateScope())
        {
            Assert.Empty(await services.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None));
        }
    }
}

public sealed class AccessTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : AccessTests(server), IClassFixture<UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture>;
