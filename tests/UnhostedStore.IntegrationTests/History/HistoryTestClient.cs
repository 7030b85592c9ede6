using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using UnhostedStore.Storage.History;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>A document as served: status, bytes, the Content-Type header exactly as sent, ETag.</summary>
public sealed record Served(HttpStatusCode Status, byte[] Body, string? ContentType, string? ETag);

/// <summary>One user's storage over HTTP with one token, and the server's history service and
/// rows for that user.</summary>
public sealed class HistoryTestClient(ServerFixture server, string user, string token)
{
    public string User => user;

    public string Token => token;

    /// <summary>A new user with a <c>*:rw</c> token of <see cref="TestTokens.Origin"/>.</summary>
    public static async Task<HistoryTestClient> NewAsync(ServerFixture server)
    {
        var user = ServerFixture.NewUser();
        return new HistoryTestClient(server, user, await server.Tokens.IssueAsync(user, "*:rw"));
    }

    /// <summary>The same user through a token of another app origin.</summary>
    public async Task<HistoryTestClient> AsAppAsync(string origin)
    {
        await using var scope = server.CreateScope();
        _ = ClientOrigin.TryParse(origin, out var parsed, out _);
        _ = ScopeSet.TryParse("*:rw", out var all);
        var issued = await scope.ServiceProvider.GetRequiredService<OperatorTokens>().IssueAsync(user, all, parsed!, 1, CancellationToken.None);
        return new HistoryTestClient(server, user, issued.AccessToken);
    }

    public async Task<(HttpStatusCode Status, string? ETag)> PutAsync(string path, byte[] body, string contentType, string? ifMatch = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await server.Client.SendAsync(request);
        return (response.StatusCode, response.Headers.ETag?.Tag);
    }

    public Task<(HttpStatusCode Status, string? ETag)> PutTextAsync(string path, string text) =>
        PutAsync(path, Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8");

    public async Task<HttpStatusCode> DeleteAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/storage/{user}{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    public async Task<Served> GetAsync(string path, bool head = false)
    {
        using var request = new HttpRequestMessage(head ? HttpMethod.Head : HttpMethod.Get, $"/storage/{user}{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        var type = response.Content.Headers.TryGetValues("Content-Type", out var values) ? string.Join(", ", values) : null;
        return new Served(response.StatusCode, await response.Content.ReadAsByteArrayAsync(), type, response.Headers.ETag?.Tag);
    }

    /// <summary>A folder listing: status, ETag and <c>items</c> as name → (ETag, type, length).</summary>
    public async Task<(HttpStatusCode Status, string? ETag, Dictionary<string, (string ETag, string? Type, long? Length)> Items)> ListAsync(string folder)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}{folder}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        var items = new Dictionary<string, (string, string?, long?)>(StringComparer.Ordinal);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            foreach (var item in json.RootElement.GetProperty("items").EnumerateObject())
            {
                var type = item.Value.TryGetProperty("Content-Type", out var t) ? t.GetString() : null;
                long? length = item.Value.TryGetProperty("Content-Length", out var l) ? l.GetInt64() : null;
                items[item.Name] = (item.Value.GetProperty("ETag").GetString()!, type, length);
            }
        }

        return (response.StatusCode, response.Headers.ETag?.Tag, items);
    }

    /// <summary>Runs <paramref name="action"/> with the server's history service in a fresh scope.</summary>
    public async Task<T> HistoryAsync<T>(Func<DocumentHistory, Task<T>> action)
    {
        await using var scope = server.CreateScope();
        return await action(scope.ServiceProvider.GetRequiredService<DocumentHistory>());
    }

    /// <summary>This user's retained version rows, oldest first.</summary>
    public async Task<List<RetainedVersion>> VersionRowsAsync()
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).DocumentVersions.AsNoTracking().Where(v => v.Owner == user).OrderBy(v => v.Id).ToListAsync();
    }

    public async Task<StorageAccount> AccountAsync()
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
    }

    /// <summary>The blob keys this user's documents and versions name.</summary>
    public async Task<HashSet<string>> BlobKeysAsync()
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var keys = await db.Nodes.AsNoTracking().Where(n => n.Owner == user && n.BlobKey != null).Select(n => n.BlobKey!).ToListAsync();
        keys.AddRange(await db.DocumentVersions.AsNoTracking().Where(v => v.Owner == user && v.BlobKey != null).Select(v => v.BlobKey!).ToListAsync());
        return keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The account's history counter equals the sum over its version rows.</summary>
    public async Task AssertHistoryBytesAsync()
    {
        var rows = await VersionRowsAsync();
        Assert.Equal(rows.Sum(v => v.ContentLength), (await AccountAsync()).HistoryBytes);
    }

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
