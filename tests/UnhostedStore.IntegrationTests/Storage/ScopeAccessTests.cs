using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// What each scope allows (draft-26 §9; requirements R62–R69): module and read-only scopes, the
/// root scopes, their union, 403 insufficient scope outside a token's reach, and 403 in another
/// user's storage; a refused request changes nothing.
/// </summary>
public abstract class ScopeAccessTests(ServerFixture server) : AccessTestBase
{
    protected override ServerFixture Server => server;

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
}

public sealed class ScopeAccessTests_Sqlite(SqliteServerFixture server) : ScopeAccessTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ScopeAccessTests_Postgres(PostgresServerFixture server) : ScopeAccessTests(server), IClassFixture<PostgresServerFixture>;

public sealed class ScopeAccessTests_PostgresS3(PostgresS3ServerFixture server) : ScopeAccessTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class ScopeAccessTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : ScopeAccessTests(server);
