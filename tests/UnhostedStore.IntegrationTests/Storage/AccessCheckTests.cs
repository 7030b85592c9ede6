using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Access checks without a usable token (draft-26 §5, §9; requirements R62–R69 and section 8
/// "identical state gives identical answers"): 401 and its Bearer challenge, public documents,
/// OPTIONS, access checked before anything else, and refusals that reveal nothing.
/// </summary>
public abstract class AccessCheckTests(ServerFixture server) : AccessTestBase
{
    protected override ServerFixture Server => server;

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
}

public sealed class AccessCheckTests_Sqlite(SqliteServerFixture server) : AccessCheckTests(server), IClassFixture<SqliteServerFixture>;

public sealed class AccessCheckTests_Postgres(PostgresServerFixture server) : AccessCheckTests(server), IClassFixture<PostgresServerFixture>;

public sealed class AccessCheckTests_PostgresS3(PostgresS3ServerFixture server) : AccessCheckTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class AccessCheckTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : AccessCheckTests(server);
