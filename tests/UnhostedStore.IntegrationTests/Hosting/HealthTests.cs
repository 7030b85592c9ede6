using System.Net;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>/healthz and /readyz answer on every host, also with split storage and account hosts.</summary>
public sealed class HealthTests(SplitHostsSqliteFixture server) : IClassFixture<SplitHostsSqliteFixture>
{
    [Theory]
    [InlineData(SplitHostsFixture.StorageHost)]
    [InlineData(SplitHostsFixture.AccountHost)]
    [InlineData("other.example")]
    public async Task Liveness_answers_200_ok_and_readiness_200_ready_on_any_host(string host)
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/healthz"))
        {
            request.Headers.Host = host;
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        var (status, failed, json) = await Readiness.GetAsync(server.Client, host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(failed);
        Assert.Contains("\"ready\"", json, StringComparison.Ordinal);
    }
}

public static class Readiness
{
    public static async Task<(HttpStatusCode Status, string[] Failed, string Json)> GetAsync(HttpClient client, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/readyz");
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await client.SendAsync(request);
        var json = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(json);
        var failed = doc.RootElement.GetProperty("failed").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return (response.StatusCode, failed, json);
    }

    /// <summary>Polls /readyz until it answers <paramref name="expected"/>, within a deadline.</summary>
    public static Task<(HttpStatusCode Status, string[] Failed, string Json)> UntilAsync(HttpClient client, HttpStatusCode expected, TimeSpan deadline) =>
        Poll.UntilAsync(() => GetAsync(client), r => r.Status == expected, deadline, "/readyz " + (int)expected);
}

/// <summary>/readyz fails (503, naming the blob store) while S3 is frozen or down, and recovers.</summary>
public sealed class ReadinessS3Tests(PrivateS3ServerFixture server) : IClassFixture<PrivateS3ServerFixture>
{
    [Fact]
    public async Task Readiness_is_503_naming_the_blob_store_while_S3_is_frozen_or_dead_and_200_once_it_is_back()
    {
        Assert.Equal(HttpStatusCode.OK, (await Readiness.GetAsync(server.Client)).Status);

        await server.Swift.FreezeAsync();
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var frozen = await Readiness.GetAsync(server.Client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, frozen.Status);
            Assert.Equal(["blobs"], frozen.Failed);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"/readyz took {watch.Elapsed} while S3 was frozen");
        }
        finally
        {
            await server.Swift.ThawAsync();
        }

        await Readiness.UntilAsync(server.Client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        await server.Swift.KillProxyAsync();
        var dead = await Readiness.UntilAsync(server.Client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
        Assert.Equal(["blobs"], dead.Failed);
        await server.Swift.RestartProxyAsync();
        await Readiness.UntilAsync(server.Client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        // Liveness never asked S3.
        using var live = await server.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}

/// <summary>/readyz fails (503, naming the database) while PostgreSQL is stopped, and recovers.</summary>
public sealed class ReadinessPostgresTests(PrivatePostgresServerFixture server) : IClassFixture<PrivatePostgresServerFixture>
{
    [Fact]
    public async Task Readiness_is_503_naming_the_database_while_PostgreSQL_is_stopped_and_200_once_it_is_back()
    {
        Assert.Equal(HttpStatusCode.OK, (await Readiness.GetAsync(server.Client)).Status);

        await server.Postgres.StopServerAsync();
        try
        {
            var down = await Readiness.UntilAsync(server.Client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
            Assert.Equal(["database"], down.Failed);
            using var live = await server.Client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            await server.Postgres.StartServerAsync();
        }

        var up = await Readiness.UntilAsync(server.Client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.Empty(up.Failed);
    }
}
