using System.Diagnostics;
using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>A PostgreSQL + filesystem server whose PostgreSQL is a private one the test may stop.</summary>
public sealed class PrivatePostgresServerFixture() : ServerFixture(Backend.PostgresFileSystem)
{
    public PrivatePostgres Postgres { get; private set; } = null!;

    protected override async Task BeforeStartAsync() => Postgres = await PrivatePostgres.StartAsync();

    protected override Task<string> CreatePostgresDatabaseAsync() => Postgres.CreateDatabaseAsync();

    protected override async Task AfterStopAsync()
    {
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}

/// <summary>
/// PostgreSQL going away between requests (pg_ctl stop -m fast, which also ends the server's
/// pooled connections) and coming back, with the same server process throughout.
/// </summary>
public sealed class PostgresRestartTests(PrivatePostgresServerFixture server) : IClassFixture<PrivatePostgresServerFixture>
{
    [Fact]
    public async Task While_PostgreSQL_is_down_storage_answers_503_and_once_it_is_back_requests_succeed_without_a_server_restart()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var big = new byte[200_000];
        Random.Shared.NextBytes(big);
        var bigETag = await PutAsync(user, token, "notes/big", big, HttpStatusCode.Created);
        var smallETag = await PutAsync(user, token, "notes/small", "tiny"u8.ToArray(), HttpStatusCode.Created);
        using (var warm = await SendAsync(HttpMethod.Get, user, token, "notes/big"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await server.Postgres.StopServerAsync();
        try
        {
            // Every request, the first one on a pooled connection PostgreSQL ended included,
            // answers 503 with Retry-After, promptly.
            foreach (var (method, path, body) in new (HttpMethod, string, byte[]?)[]
            {
                (HttpMethod.Get, "notes/big", null),
                (HttpMethod.Get, "notes/small", null),
                (HttpMethod.Get, "notes/", null),
                (HttpMethod.Put, "notes/new", Encoding.UTF8.GetBytes(new string('x', 5000))),
                (HttpMethod.Put, "notes/big", Encoding.UTF8.GetBytes("a new version")),
                (HttpMethod.Delete, "notes/small", null),
            })
            {
                var watch = Stopwatch.StartNew();
                using var response = await SendAsync(method, user, token, path, body);
                Assert.True(
                    response.StatusCode == HttpStatusCode.ServiceUnavailable,
                    $"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{method} {path} took {watch.Elapsed.TotalSeconds:F1}s");
            }
        }
        finally
        {
            await server.Postgres.StartServerAsync();
        }

        // Back within a few seconds, same server process; what was written before is intact.
        using (var get = await Poll.UntilAsync(
            () => SendAsync(HttpMethod.Get, user, token, "notes/big"),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(15),
            "GET after PostgreSQL is back"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(bigETag, get.Headers.ETag?.Tag);
            Assert.Equal(big, await get.Content.ReadAsByteArrayAsync());
        }

        using (var small = await SendAsync(HttpMethod.Get, user, token, "notes/small"))
        {
            Assert.Equal(HttpStatusCode.OK, small.StatusCode);
            Assert.Equal(smallETag, small.Headers.ETag?.Tag);
            Assert.Equal("tiny", await small.Content.ReadAsStringAsync());
        }

        await PutAsync(user, token, "notes/new", Encoding.UTF8.GetBytes(new string('x', 5000)), HttpStatusCode.Created);
        using var listing = await SendAsync(HttpMethod.Get, user, token, "notes/");
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        var items = System.Text.Json.JsonDocument.Parse(await listing.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
        Assert.Equal(["big", "new", "small"], items.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(200_000, items.GetProperty("big").GetProperty("Content-Length").GetInt64());
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string user, string token, string path, byte[]? body = null)
    {
        using var request = new HttpRequestMessage(method, $"/storage/{user}/{path}").WithToken(token);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<string> PutAsync(string user, string token, string path, byte[] body, HttpStatusCode expected)
    {
        using var response = await SendAsync(HttpMethod.Put, user, token, path, body);
        Assert.Equal(expected, response.StatusCode);
        return response.Headers.ETag!.Tag;
    }
}
