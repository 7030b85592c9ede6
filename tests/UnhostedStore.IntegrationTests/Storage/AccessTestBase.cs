using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// What <see cref="ScopeAccessTests"/> and <see cref="AccessCheckTests"/> share: a seeded user
/// whose stored state can be checked unchanged, a full write cycle with one token, and raw
/// requests with or without a token.
/// </summary>
public abstract class AccessTestBase
{
    protected abstract ServerFixture Server { get; }

    protected static readonly string[] ReadMethods = ["GET", "HEAD"];

    private readonly Dictionary<string, string> _seedSnapshots = new(StringComparer.Ordinal);

    /// <summary>A response header exactly as sent (HttpClient reformats Cache-Control when parsed).</summary>
    protected static string RawHeader(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : "<absent>";

    protected static List<string> WithoutDate(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        headers.Where(h => !string.Equals(h.Key, "Date", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key.ToLowerInvariant() + ": " + h.Value)
            .ToList();

    /// <summary>A fresh user with /notes/a, /notes/sub/b and /public/notes/p.</summary>
    protected async Task<string> SeedAsync()
    {
        var user = ServerFixture.NewUser();
        var token = Server.Tokens.Issue(user, "*:rw");
        foreach (var (path, body) in Seed)
        {
            using var response = await SendAsync("PUT", $"/storage/{user}{path}", token, body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        _seedSnapshots[user] = await SnapshotAsync(user);
        return user;
    }

    protected static readonly (string Path, string Body)[] Seed =
    [
        ("/notes/a", "hello"),
        ("/notes/sub/b", "world"),
        ("/public/notes/p", "public!"),
    ];

    /// <summary>Fails when anything the seed stored (bytes, versions, listings) has changed.</summary>
    protected async Task AssertSeedUnchangedAsync(string user) =>
        Assert.Equal(_seedSnapshots[user], await SnapshotAsync(user));

    protected async Task<string> SnapshotAsync(string user)
    {
        var token = Server.Tokens.Issue(user, "*:r");
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
    protected async Task AssertWriteCycleAsync(string user, string token, string path)
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

    protected async Task<HttpResponseMessage> SendAsync(string method, string url, string? token, string? body = null)
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

        return await Server.Client.SendAsync(request);
    }
}
