using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>A server whose /metrics needs <see cref="Token"/>.</summary>
public sealed class MetricsTokenFixture() : ServerFixture(Backend.SqliteFileSystem)
{
    public const string Token = "metrics-token-0123456789";

    protected override void ConfigureSettings(IWebHostBuilder builder) => builder.UseSetting("Metrics:Token", Token);
}

/// <summary>The metric names a scrape shows once storage was used (Prometheus names of the UnhostedStore meter).</summary>
public static class MetricNames
{
    public static readonly string[] AfterStorageUse =
    [
        "unhostedstore_requests_total",
        "unhostedstore_storage_reads_total",
        "unhostedstore_storage_not_modified_total",
        "unhostedstore_storage_received_bytes_total",
        "unhostedstore_storage_sent_bytes_total",
        "unhostedstore_storage_token_failures_total",
        "unhostedstore_db_duration_seconds_bucket",
    ];

    /// <summary>A PUT, a GET, a conditional GET (304) and a request with a bad token.</summary>
    public static async Task UseStorageAsync(HttpClient http, string user, string token)
    {
        var body = new ByteArrayContent(new byte[5000]);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/m") { Content = body }.WithToken(token));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/m").WithToken(token));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var conditional = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/m").WithToken(token);
        conditional.Headers.TryAddWithoutValidation("If-None-Match", put.Headers.ETag!.Tag);
        using var notModified = await http.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var bad = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/m").WithToken("not-a-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }
}

public sealed class MetricsTokenTests(MetricsTokenFixture server) : IClassFixture<MetricsTokenFixture>
{
    [Fact]
    public async Task Metrics_without_the_token_or_with_a_wrong_one_answer_401()
    {
        using var none = await server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using var wrong = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/metrics").WithToken(MetricsTokenFixture.Token + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain("unhostedstore", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_with_the_token_show_requests_by_family_and_status_304s_bytes_token_failures_and_database_latency()
    {
        var user = ServerFixture.NewUser();
        await MetricNames.UseStorageAsync(server.Client, user, server.Tokens.Issue(user, "notes:rw"));

        using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/metrics").WithToken(MetricsTokenFixture.Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        foreach (var name in MetricNames.AfterStorageUse)
        {
            Assert.Contains(name, text, StringComparison.Ordinal);
        }

        Assert.Contains("family=\"storage\",status=\"304\"", text, StringComparison.Ordinal);
        Assert.Contains("family=\"storage\",status=\"201\"", text, StringComparison.Ordinal);
    }
}

public sealed class MetricsDisabledTests(SqliteServerFixture server) : IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task Without_a_token_or_port_metrics_do_not_exist()
    {
        using var response = await server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>Metrics:Port: /metrics only on that port (the server as a separate process, with its real listen addresses).</summary>
public sealed class MetricsPortTests
{
    [Fact]
    public async Task With_a_metrics_port_metrics_are_served_there_only_and_that_port_serves_nothing_but_metrics_and_health()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "us-metrics-" + Guid.NewGuid().ToString("N")[..12]);
        var metricsPort = Shell.FreePort();
        try
        {
            await using var process = await ServerProcess.StartAsync(new Dictionary<string, string>
            {
                ["DataDirectory"] = dataDirectory,
                ["Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            });
            using var main = new HttpClient { BaseAddress = process.BaseAddress };
            using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };

            using (var onMain = await main.GetAsync("/metrics"))
            {
                Assert.Equal(HttpStatusCode.NotFound, onMain.StatusCode);
            }

            // The Host header does not decide: naming the metrics port on the main port is still 404.
            using (var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
            {
                spoofed.Headers.Host = $"127.0.0.1:{metricsPort}";
                using var response = await main.SendAsync(spoofed);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }

            using (var storage = await metrics.GetAsync("/storage/nobody/x/"))
            {
                Assert.Equal(HttpStatusCode.NotFound, storage.StatusCode);
            }

            using (var health = await metrics.GetAsync("/healthz"))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }

            using var scrape = await metrics.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            var text = await scrape.Content.ReadAsStringAsync();
            Assert.Contains("unhostedstore_requests_total", text, StringComparison.Ordinal);
            Assert.Contains("family=\"storage\",status=\"401\"", text, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
