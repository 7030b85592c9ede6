using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>A PostgreSQL + S3 server whose S3 is a private Swift, with a short S3 timeout.</summary>
public sealed class PrivateS3ServerFixture() : ServerFixture(Backend.PostgresS3)
{
    public const int S3TimeoutSeconds = 3;

    public PrivateSwift Swift { get; private set; } = null!;

    protected override async Task BeforeStartAsync() => Swift = await PrivateSwift.StartAsync();

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Blobs:S3:Endpoint", Swift.Endpoint);
        builder.UseSetting("Blobs:S3:AccessKey", Swift.AccessKey);
        builder.UseSetting("Blobs:S3:SecretKey", Swift.SecretKey);
        builder.UseSetting("Blobs:S3:TimeoutSeconds", S3TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    protected override async Task AfterStopAsync()
    {
        if (Swift is not null)
        {
            await Swift.DisposeAsync();
        }
    }
}

/// <summary>
/// The S3 backend becoming unreachable, with a real S3 server (Swift) and real PostgreSQL: a
/// frozen proxy (SIGSTOP: connections accepted, never answered) and a dead one (SIGKILL:
/// connections refused). Storage must answer 503 with Retry-After within the S3 timeout, never
/// 500 or a hang, and a failed write must leave the old version served.
/// </summary>
public sealed class S3OutageTests(PrivateS3ServerFixture server) : IClassFixture<PrivateS3ServerFixture>
{
    /// <summary>The S3 timeout, plus the cleanup of the half-written object (one more S3
    /// request, also bounded by the timeout), plus slack for a loaded test machine.</summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds((2 * PrivateS3ServerFixture.S3TimeoutSeconds) + 10);

    [Fact]
    public async Task A_put_in_flight_when_S3_freezes_answers_503_with_Retry_After_and_the_old_version_stays_served()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var v1 = RandomBytes(200_000);
        var v1ETag = await PutAsync(user, token, "notes/doc", v1, HttpStatusCode.Created);

        var v2 = RandomBytes(200_000);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"PUT /storage/{user}/notes/doc HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nAuthorization: Bearer {token}\r\n" +
            $"Content-Type: application/octet-stream\r\nContent-Length: {v2.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(v2.AsMemory(0, v2.Length / 2));
        await stream.FlushAsync();

        RawResponse response;
        var watch = Stopwatch.StartNew();
        await server.Swift.FreezeAsync();
        try
        {
            await stream.WriteAsync(v2.AsMemory(v2.Length / 2));
            await stream.FlushAsync();
            watch.Restart();
            response = await RawHttp.ReadResponseAsync(stream);
        }
        finally
        {
            await server.Swift.ThawAsync();
        }

        Assert.Equal(503, response.Status);
        Assert.Equal("5", response.Header("Retry-After"));
        Assert.True(watch.Elapsed < AnswerWithin, $"the PUT took {watch.Elapsed.TotalSeconds:F1}s to answer");

        // S3 is back: the failed write never committed, so v1 is what is served.
        using var get = await Poll.UntilAsync(() => GetAsync(user, token, "notes/doc"), r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "GET after S3 is back");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(v1ETag, get.Headers.ETag?.Tag);
        Assert.Equal(v1, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_get_while_S3_is_frozen_answers_503_with_Retry_After_within_the_S3_timeout_and_works_again_after()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var v1 = RandomBytes(200_000);
        var v1ETag = await PutAsync(user, token, "notes/doc", v1, HttpStatusCode.Created);

        HttpResponseMessage frozen;
        var watch = Stopwatch.StartNew();
        await server.Swift.FreezeAsync();
        try
        {
            watch.Restart();
            frozen = await GetAsync(user, token, "notes/doc");
            watch.Stop();
        }
        finally
        {
            await server.Swift.ThawAsync();
        }

        using (frozen)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, frozen.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), frozen.Headers.RetryAfter?.Delta);
            Assert.True(watch.Elapsed < AnswerWithin, $"the GET took {watch.Elapsed.TotalSeconds:F1}s to answer");
        }

        using var get = await Poll.UntilAsync(() => GetAsync(user, token, "notes/doc"), r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "GET after S3 is back");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(v1ETag, get.Headers.ETag?.Tag);
        Assert.Equal(v1, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task With_the_S3_server_gone_get_and_put_answer_503_at_once_and_both_work_again_once_it_is_back()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        var v1 = RandomBytes(200_000);
        var v1ETag = await PutAsync(user, token, "notes/doc", v1, HttpStatusCode.Created);
        var v2 = RandomBytes(150_000);

        await server.Swift.KillProxyAsync();
        try
        {
            var watch = Stopwatch.StartNew();
            using (var get = await GetAsync(user, token, "notes/doc"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(5), get.Headers.RetryAfter?.Delta);
            }

            using (var put = await SendPutAsync(user, token, "notes/doc", v2))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(5), put.Headers.RetryAfter?.Delta);
            }

            // Refused connections fail fast: no waiting for the S3 timeout.
            Assert.True(watch.Elapsed < AnswerWithin, $"GET + PUT took {watch.Elapsed.TotalSeconds:F1}s");
        }
        finally
        {
            await server.Swift.RestartProxyAsync();
        }

        using (var get = await Poll.UntilAsync(() => GetAsync(user, token, "notes/doc"), r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "GET after S3 is back"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(v1ETag, get.Headers.ETag?.Tag);
            Assert.Equal(v1, await get.Content.ReadAsByteArrayAsync());
        }

        var v2ETag = await PutAsync(user, token, "notes/doc", v2, HttpStatusCode.OK);
        Assert.NotEqual(v1ETag, v2ETag);
        using var after = await GetAsync(user, token, "notes/doc");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(v2ETag, after.Headers.ETag?.Tag);
        Assert.Equal(v2, await after.Content.ReadAsByteArrayAsync());
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private async Task<HttpResponseMessage> GetAsync(string user, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{path}").WithToken(token);
        return await server.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendPutAsync(string user, string token, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/{path}") { Content = content }.WithToken(token);
        return await server.Client.SendAsync(request);
    }

    private async Task<string> PutAsync(string user, string token, string path, byte[] body, HttpStatusCode expected)
    {
        using var response = await SendPutAsync(user, token, path, body);
        Assert.Equal(expected, response.StatusCode);
        return response.Headers.ETag!.Tag;
    }
}
