using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>R75: storage is served over HTTPS when the server is given a certificate.</summary>
public abstract class HttpsTests(HttpsServerFixture server)
{
    [Fact]
    public async Task Storage_answers_over_https_with_the_configured_certificate()
    {
        Assert.Equal(Uri.UriSchemeHttps, server.BaseAddress.Scheme);
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var content = new StringContent("secret", Encoding.UTF8);
        content.Headers.ContentType = new("text/plain");
        using var put = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/tls") { Content = content }.WithToken(token));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/tls").WithToken(token));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("secret", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Plain_http_to_the_https_port_is_closed_without_any_answer()
    {
        // Sent as raw bytes: HttpClient turns whatever happens into one HttpRequestException.
        var received = await RawHttp.SendAndReadUntilClosedAsync(
            server.BaseAddress,
            $"GET /storage/{ServerFixture.NewUser()}/public/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.Equal(string.Empty, Encoding.Latin1.GetString(received));
    }
}

public sealed class HttpsTests_Sqlite(HttpsSqliteFixture server) : HttpsTests(server), IClassFixture<HttpsSqliteFixture>;

public sealed class HttpsTests_Postgres(HttpsPostgresFixture server) : HttpsTests(server), IClassFixture<HttpsPostgresFixture>;

/// <summary>R76 (HTTP/1.1) and R77 (the storage origin serves nothing else).</summary>
public abstract class GeneralTests(ServerFixture server)
{
    [Fact]
    public async Task Two_requests_on_one_keep_alive_connection_are_both_answered()
    {
        var user = ServerFixture.NewUser();
        var request = $"GET /storage/{user}/public/missing HTTP/1.1\r\nHost: 127.0.0.1\r\n";

        // Both requests in one write; the second one closes the connection once answered.
        var received = await RawHttp.SendAndReadUntilClosedAsync(server.BaseAddress, request + "\r\n" + request + "Connection: close\r\n\r\n");
        var statusLines = Regex.Matches(Encoding.Latin1.GetString(received), "^HTTP/1\\.1 [0-9]{3}", RegexOptions.Multiline).Select(m => m.Value);
        Assert.Equal(["HTTP/1.1 404", "HTTP/1.1 404"], statusLines);
    }

    [Fact]
    public async Task A_request_without_host_is_rejected_with_400()
    {
        var response = await RawHttp.SendAsync(server.BaseAddress, $"GET /storage/{ServerFixture.NewUser()}/public/x HTTP/1.1\r\nConnection: close\r\n\r\n");
        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task Put_with_expect_100_continue_gets_continue_then_201()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"PUT /storage/{user}/notes/expect HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n" +
                   "Content-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var buffer = new byte[25];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read));
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", Encoding.ASCII.GetString(buffer));
        await stream.WriteAsync("hello"u8.ToArray());
        var response = await RawHttp.ReadResponseAsync(stream);
        Assert.Equal(201, response.Status);
    }

    // Nothing_but_storage_is_served_on_the_storage_origin (R77) moved to
    // Hosting/SplitHostsTests: a single-host server also serves the pages, by design.
}

public sealed class GeneralTests_Sqlite(SqliteServerFixture server) : GeneralTests(server), IClassFixture<SqliteServerFixture>;

public sealed class GeneralTests_Postgres(PostgresServerFixture server) : GeneralTests(server), IClassFixture<PostgresServerFixture>;

public sealed class GeneralTests_PostgresS3(PostgresS3ServerFixture server) : GeneralTests(server), IClassFixture<PostgresS3ServerFixture>;

/// <summary>R78: 429 with Retry-After, and brute-force protection of /public/ URLs.</summary>
public abstract class RateLimitTests(RateLimitedServerFixture server)
{
    [Fact]
    public async Task A_client_without_a_valid_token_over_its_ip_budget_gets_429_with_retry_after_and_recovers()
    {
        // Tests of this class share one server: start with a full request bucket.
        await Task.Delay(1100);
        var user = ServerFixture.NewUser();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < RateLimitedServerFixture.Burst * 3 && limited is null; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/");
            request.Headers.Add("Origin", "https://app.example");
            var response = await server.Client.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.Contains(HttpStatusCode.Unauthorized, statuses);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("https://app.example", limited.Headers.GetValues("Access-Control-Allow-Origin").Single());

        // An app on another origin can read why it was refused and how long to wait.
        var exposed = limited.Headers.GetValues("Access-Control-Expose-Headers").SelectMany(v => v.Split(',')).Select(h => h.Trim()).ToList();
        Assert.Contains("Retry-After", exposed);
        Assert.Contains("WWW-Authenticate", exposed);
        limited.Dispose();

        await Task.Delay(TimeSpan.FromSeconds(retryAfter) + TimeSpan.FromMilliseconds(300));
        using var after = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/"));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_valid_token_is_served_from_an_ip_whose_budget_anonymous_requests_used_up()
    {
        // Tests of this class share one server: start with a full request bucket.
        await Task.Delay(1100);
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < RateLimitedServerFixture.Burst * 3; i++)
        {
            using var anonymous = await server.Client.GetAsync($"/storage/{user}/notes/");
            statuses.Add(anonymous.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        // Behind one NAT: the IP's bucket is empty, yet a valid token draws from its own.
        for (var i = 0; i < RateLimitedServerFixture.Burst * 3; i++)
        {
            using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken(token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // An invalid token does not: it is one more request without a valid token.
        var invalid = new List<HttpStatusCode>();
        for (var i = 0; i < RateLimitedServerFixture.Burst * 3; i++)
        {
            using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken("NoSuchToken"));
            invalid.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, invalid);
    }

    [Fact]
    public async Task Guessing_public_urls_without_a_token_is_stopped_with_429()
    {
        // Tests of this class share one server: start with a full request bucket.
        await Task.Delay(1100);
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "photos:rw");
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.TryAddWithoutValidation("Content-Type", "image/png");
        using (var put = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/public/photos/real.png") { Content = content }.WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Wait out the request bucket used by the put, so only the miss budget is tested.
        await Task.Delay(1100);
        for (var i = 0; i < RateLimitedServerFixture.PublicMisses; i++)
        {
            using var miss = await server.Client.GetAsync($"/storage/{user}/public/photos/guess{i}.png");
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        using var blocked = await server.Client.GetAsync($"/storage/{user}/public/photos/real.png");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.True(blocked.Headers.Contains("Retry-After"));

        // The owner, with a token, is not affected by anonymous guessing.
        using var owner = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/public/photos/real.png").WithToken(token));
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }

    [Fact]
    public async Task Guessing_public_urls_with_an_invalid_token_or_another_users_token_is_stopped_with_429_too()
    {
        // A client IP of its own (the loopback proxy is trusted), so no other test's misses count.
        var ip = "198.51.100." + Random.Shared.Next(1, 255).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var owner = ServerFixture.NewUser();
        var guesser = ServerFixture.NewUser();
        var ownerToken = server.Tokens.Issue(owner, "photos:rw");
        var guesserToken = server.Tokens.Issue(guesser, "photos:rw");
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.TryAddWithoutValidation("Content-Type", "image/png");
        using (var put = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{owner}/public/photos/real.png") { Content = content }.WithToken(ownerToken).From(ip)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Another user's valid token does not make guessing cheaper than no token at all.
        for (var i = 0; i < RateLimitedServerFixture.PublicMisses; i++)
        {
            using var miss = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{owner}/public/photos/guess{i}.png").WithToken(guesserToken).From(ip));
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        using var blocked = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{owner}/public/photos/real.png").WithToken(guesserToken).From(ip));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        using var invalid = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{owner}/public/photos/real.png").WithToken("not-a-real-token").From(ip));
        Assert.Equal(HttpStatusCode.TooManyRequests, invalid.StatusCode);

        // Only the owner's own token is exempt.
        using var byOwner = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{owner}/public/photos/real.png").WithToken(ownerToken).From(ip));
        Assert.Equal(HttpStatusCode.OK, byOwner.StatusCode);
    }
}

public sealed class RateLimitTests_Sqlite(RateLimitedSqliteFixture server) : RateLimitTests(server), IClassFixture<RateLimitedSqliteFixture>;

public sealed class RateLimitTests_Postgres(RateLimitedPostgresFixture server) : RateLimitTests(server), IClassFixture<RateLimitedPostgresFixture>;

internal static class ClientAddress
{
    /// <summary>Acts as the client <paramref name="ip"/> behind the trusted loopback proxy.</summary>
    public static HttpRequestMessage From(this HttpRequestMessage request, string ip)
    {
        request.Headers.Add("X-Forwarded-For", ip);
        return request;
    }
}
