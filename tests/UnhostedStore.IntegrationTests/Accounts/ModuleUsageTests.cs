using System.Net;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>Per-module usage is kept incrementally in the write transaction; it must always equal
/// what the stored documents add up to.</summary>
public abstract class ModuleUsageTests(ServerFixture server)
{
    [Fact]
    public async Task Usage_per_module_matches_the_stored_documents_after_puts_replaces_and_deletes()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/a", 10));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/b/c", 20));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/public/notes/p", 30));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/photos/x", 40));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/top", 5));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/public/top", 6));
        await AssertConsistentAsync(user);

        // Replace with bigger and smaller bodies, and with an empty one.
        Assert.Equal(HttpStatusCode.OK, await PutAsync(server, user, token, "/notes/a", 1000));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(server, user, token, "/photos/x", 1));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(server, user, token, "/top", 0));
        await AssertConsistentAsync(user);

        // Refused writes change nothing: a document where a folder is (409), and a 412.
        Assert.Equal(HttpStatusCode.Conflict, await PutAsync(server, user, token, "/notes/b", 99));
        var body = new ByteArrayContent(new byte[77]);
        body.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        using (var conditional = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/a") { Content = body }.WithToken(token))
        {
            conditional.Headers.TryAddWithoutValidation("If-None-Match", "*");
            using var response = await server.Client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        }

        await AssertConsistentAsync(user);

        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/notes/b/c"));
        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/photos/x"));
        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/public/top"));
        Assert.Equal(HttpStatusCode.NotFound, await DeleteAsync(server, user, token, "/photos/x"));
        var rows = await AssertConsistentAsync(user);
        Assert.Equal(["", "notes"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((1030L, 2L), rows["notes"]);
        Assert.Equal((0L, 1L), rows[""]);

        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/public/notes/p"));
        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(server, user, token, "/top"));
        Assert.Empty(await AssertConsistentAsync(user));
    }

    [Fact]
    public async Task Usage_per_module_stays_exact_when_one_user_writes_and_deletes_concurrently()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        string[] modules = ["a", "b", "public/a", "c"];
        var tasks = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 12; i++)
            {
                var module = modules[(worker + i) % modules.Length];
                var path = $"/{module}/doc{i % 4}";
                if (i % 5 == 4)
                {
                    await DeleteAsync(server, user, token, path);
                }
                else
                {
                    var status = await PutAsync(server, user, token, path, (worker * 100) + i);
                    Assert.True(status is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {path}: {status}");
                }
            }
        })).ToList();
        await Task.WhenAll(tasks);

        var rows = await AssertConsistentAsync(user);
        Assert.NotEmpty(rows);
    }

    /// <summary>Compares the ModuleUsage rows with the documents and with the account totals.</summary>
    private async Task<Dictionary<string, (long Bytes, long Docs)>> AssertConsistentAsync(string user)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var documents = await db.Nodes.AsNoTracking().Where(n => n.Owner == user && !n.IsFolder).Select(n => new { n.Path, n.ContentLength }).ToListAsync();
        var expected = documents
            .GroupBy(d => ModuleOf(d.Path), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.Sum(d => d.ContentLength), (long)g.Count()), StringComparer.Ordinal);
        var actual = await db.ModuleUsage.AsNoTracking().Where(m => m.Owner == user)
            .ToDictionaryAsync(m => m.Module, m => (m.UsedBytes, m.DocumentCount), StringComparer.Ordinal);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));

        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        Assert.Equal(account.UsedBytes, actual.Values.Sum(v => v.UsedBytes));
        Assert.Equal(account.DocumentCount, actual.Values.Sum(v => v.DocumentCount));
        return actual;
    }

    /// <summary>The module a stored path counts under, worked out independently of the server:
    /// the first segment, or the second under /public/; "" for top-level documents.</summary>
    private static string ModuleOf(string path)
    {
        var rest = path[1..];
        if (rest.StartsWith("public/", StringComparison.Ordinal))
        {
            rest = rest["public/".Length..];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? rest[..slash] : string.Empty;
    }
}

public sealed class ModuleUsageTests_Sqlite(SqliteServerFixture server) : ModuleUsageTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ModuleUsageTests_Postgres(PostgresServerFixture server) : ModuleUsageTests(server), IClassFixture<PostgresServerFixture>;
