using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using UnhostedStore.AbuseLimits;
using UnhostedStore.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>
/// The default abuse limits (draft-26 §14) against a legitimate client: a remotestorage.js app's
/// first sync of a module of 10,000 small documents, with one token from one IP, at the
/// concurrency remotestorage.js uses (<c>Sync.numThreads = 10</c> in src/sync.ts of 2.0.0-beta.10
/// and src/sync.js of 1.2.3), must never meet a 429.
/// </summary>
public abstract class AbuseLimitFirstSyncTests(DefaultLimitsServerFixture server, ITestOutputHelper output)
{
    /// <summary>remotestorage.js's <c>Sync.numThreads</c>: parallel requests of a sync.</summary>
    public const int RemoteStorageJsParallelRequests = 10;

    public const int Documents = 10_000;

    private const int Folders = 10;

    [Fact]
    public async Task A_first_sync_of_10000_documents_at_remotestorage_js_concurrency_with_one_token_gets_no_429_under_the_default_limits()
    {
        var user = ServerFixture.NewUser();
        await SeedAsync(user);

        // The app's token, and the first sync as remotestorage.js does it: the module's listing,
        // its folders' listings, then every document, 10 requests at a time, one token, one IP.
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        using var client = server.NewClient();
        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        var watch = Stopwatch.StartNew();

        var folders = await ListAsync(client, token, $"/storage/{user}/notes/", statuses);
        Assert.Equal(Folders, folders.Count);
        var documents = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(folders, new ParallelOptions { MaxDegreeOfParallelism = RemoteStorageJsParallelRequests }, async (folder, ct) =>
        {
            foreach (var name in await ListAsync(client, token, $"/storage/{user}/notes/{folder}", statuses))
            {
                documents.Add($"/storage/{user}/notes/{folder}{name}");
            }
        });
        Assert.Equal(Documents, documents.Count);

        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = RemoteStorageJsParallelRequests }, async (path, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path).WithToken(token);
            using var response = await client.SendAsync(request, ct);
            _ = await response.Content.ReadAsByteArrayAsync(ct);
            statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
        });
        watch.Stop();

        var requests = statuses.Values.Sum();
        var defaults = new RateLimitOptions();
        output.WriteLine(
            $"first sync: {requests} requests in {watch.Elapsed.TotalSeconds:F2} s ({requests / watch.Elapsed.TotalSeconds:F0} req/s), " +
            $"{statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests)} × 429, at {RemoteStorageJsParallelRequests} parallel requests; " +
            $"per token {defaults.StoragePerTokenPerSecond}/s burst {defaults.StoragePerTokenBurst}; statuses: " +
            string.Join(", ", statuses.Select(s => $"{(int)s.Key}×{s.Value}")));
        Assert.Equal(0, statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests));
        Assert.Equal(1 + Folders + Documents, statuses.GetValueOrDefault(HttpStatusCode.OK));
        Assert.Equal(1 + Folders + Documents, requests);
    }

    /// <summary>Stores the documents straight through the write service, as concurrent requests
    /// would (seeding is not what is measured, so no HTTP and no rate limit in the way).</summary>
    private async Task SeedAsync(string user)
    {
        var watch = Stopwatch.StartNew();
        var documents = Enumerable.Range(0, Documents)
            .Select(i => ($"/notes/f{i % Folders}/d{i}", Encoding.UTF8.GetBytes($"{{\"n\":{i},\"text\":\"note {i}\"}}"), "application/json"))
            .ToList();
        await Files.FilesHelpers.SeedAsync(server, user, documents, parallel: 32);
        output.WriteLine($"seeding: {Documents} documents in {watch.Elapsed.TotalSeconds:F2} s");
    }

    private static async Task<List<string>> ListAsync(HttpClient client, string token, string path, ConcurrentDictionary<HttpStatusCode, int> statuses)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path).WithToken(token);
        using var response = await client.SendAsync(request);
        statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var listing = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return listing.RootElement.GetProperty("items").EnumerateObject().Select(p => p.Name).ToList();
    }
}

public sealed class AbuseLimitFirstSyncTests_Sqlite(DefaultLimitsSqliteFixture server, ITestOutputHelper output) : AbuseLimitFirstSyncTests(server, output), IClassFixture<DefaultLimitsSqliteFixture>;

public sealed class AbuseLimitFirstSyncTests_Postgres(DefaultLimitsPostgresFixture server, ITestOutputHelper output) : AbuseLimitFirstSyncTests(server, output), IClassFixture<DefaultLimitsPostgresFixture>;
