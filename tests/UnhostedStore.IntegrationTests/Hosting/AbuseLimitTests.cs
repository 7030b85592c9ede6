using System.Globalization;
using System.Net;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>
/// Abuse limits: per-token storage limit, per-IP limit on the OAuth endpoints and the
/// login/signup/setup pages, throttling of failed tokens and failed logins. Every limit answers
/// 429 with Retry-After, and the client recovers once it has waited that long. Each test is its
/// own client IP (X-Forwarded-For from the trusted loopback proxy), so tests share no bucket.
/// </summary>
public abstract class AbuseLimitTests(AbuseLimitedServerFixture server)
{
    private const string Origin = "https://app.example";

    [Fact]
    public async Task A_token_over_its_request_budget_gets_429_with_retry_after_from_any_ip_and_recovers_while_other_tokens_go_on()
    {
        var user = ServerFixture.NewUser();
        var busy = server.Tokens.Issue(user, "notes:r");
        var other = server.Tokens.Issue(user, "notes:r");
        string[] ips = [AbuseLimitedServerFixture.ClientIp(), AbuseLimitedServerFixture.ClientIp()];

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < AbuseLimitedServerFixture.TokenBurst * 4 && limited is null; i++)
        {
            // Alternating client IPs: the budget belongs to the token, not to an address.
            var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", busy, ips[i % 2]);
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
        Assert.All(statuses.Take(AbuseLimitedServerFixture.TokenBurst), s => Assert.Equal(HttpStatusCode.OK, s));
        var retryAfter = RetryAfter(limited);
        Assert.InRange(retryAfter, 1, 2);
        Assert.Equal(Origin, limited.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("nosniff", limited.Headers.GetValues("X-Content-Type-Options").Single());
        limited.Dispose();

        // Another token of the same user, from the same address, has its own budget.
        using (var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", other, ips[0]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(retryAfter) + TimeSpan.FromMilliseconds(300));
        using var after = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", busy, ips[0]);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task An_ip_that_presents_many_bad_tokens_gets_429_for_bad_tokens_only_and_recovers()
    {
        var user = ServerFixture.NewUser();
        var valid = server.Tokens.Issue(user, "notes:r");
        var revoked = server.Tokens.Issue(user, "notes:r");
        server.Tokens.Revoke(revoked);
        var guesser = AbuseLimitedServerFixture.ClientIp();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < AbuseLimitedServerFixture.FailedTokensPerMinute + 5 && limited is null; i++)
        {
            var token = i == 0 ? revoked : "guess" + Guid.NewGuid().ToString("N");
            var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", token, guesser);
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
        var before = statuses.Take(statuses.Count - 1).ToList();
        Assert.True(before.Count >= AbuseLimitedServerFixture.FailedTokensPerMinute, $"429 after {before.Count} bad tokens");
        Assert.All(before, s => Assert.Equal(HttpStatusCode.Unauthorized, s));

        // 20 per minute: one more guess every 3 seconds.
        Assert.Equal("3", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal(Origin, limited.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(limited.Headers.Contains("WWW-Authenticate"));
        limited.Dispose();

        // A valid token from that address is still served (someone else behind the same NAT) ...
        using (var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", valid, guesser))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // ... while its bad tokens, the revoked one too, still get 429 (a permit that came back in
        // the meantime lets at most one of them through as a 401).
        using (var first = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", revoked, guesser))
        using (var second = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", "guess" + Guid.NewGuid().ToString("N"), guesser))
        {
            Assert.Contains(HttpStatusCode.TooManyRequests, new[] { first.StatusCode, second.StatusCode });
            Assert.All(new[] { first.StatusCode, second.StatusCode }, s => Assert.True(s is HttpStatusCode.TooManyRequests or HttpStatusCode.Unauthorized, $"{s}"));
        }

        // ... and other clients are not affected.
        using (var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", valid, AbuseLimitedServerFixture.ClientIp()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(3.3));
        using (var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", valid, guesser))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", "guess" + Guid.NewGuid().ToString("N"), guesser))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task After_100_invalid_tokens_from_one_ip_a_valid_token_from_that_ip_gets_200_while_invalid_ones_get_429()
    {
        var user = ServerFixture.NewUser();
        var valid = server.Tokens.Issue(user, "notes:rw");
        var shared = AbuseLimitedServerFixture.ClientIp();

        var statuses = new List<HttpStatusCode>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            using var response = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", "guess" + Guid.NewGuid().ToString("N"), shared);
            statuses.Add(response.StatusCode);
        }

        // The failure budget (20 a minute, one back every 3 s) went first, then bad tokens got 429.
        Assert.All(statuses.Take(AbuseLimitedServerFixture.FailedTokensPerMinute), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{s}"));
        var refills = 1 + (int)(watch.Elapsed.TotalSeconds / 3);
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.Unauthorized), AbuseLimitedServerFixture.FailedTokensPerMinute, AbuseLimitedServerFixture.FailedTokensPerMinute + refills);

        // Reads and writes with the valid token (within its own budget of 4) go through ...
        using (var read = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", valid, shared))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var write = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/mine") { Content = new StringContent("mine") }.WithToken(valid))
        {
            write.Headers.Add("X-Forwarded-For", shared);
            using var response = await server.Client.SendAsync(write);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // ... and bad tokens right after them are still refused with 429 (a permit that came back
        // in the meantime lets at most one of two through as a 401).
        using var invalid = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", "guess" + Guid.NewGuid().ToString("N"), shared);
        using var again = await SendAsync(HttpMethod.Get, $"/storage/{user}/notes/", "guess" + Guid.NewGuid().ToString("N"), shared);
        Assert.Contains(HttpStatusCode.TooManyRequests, new[] { invalid.StatusCode, again.StatusCode });
    }

    [Fact]
    public async Task The_login_signup_setup_and_authorization_pages_answer_429_per_ip_with_retry_after_and_recover()
    {
        using var browser = new Browser(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() };
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < AbuseLimitedServerFixture.PagesPerMinute + 5 && limited is null; i++)
        {
            var response = await browser.GetAsync("/login");
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
        var before = statuses.Take(statuses.Count - 1).ToList();
        Assert.True(before.Count >= AbuseLimitedServerFixture.PagesPerMinute, $"429 after {before.Count} pages");
        Assert.All(before, s => Assert.Equal(HttpStatusCode.OK, s));

        // 30 per minute: one more page every 2 seconds.
        Assert.Equal("2", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal("text/plain; charset=utf-8", limited.Content.Headers.ContentType!.ToString());
        Assert.Equal("Too many requests. Try again in 2 seconds.\n", await limited.Content.ReadAsStringAsync());
        Assert.Equal("DENY", limited.Headers.GetValues("X-Frame-Options").Single());
        limited.Dispose();

        foreach (var path in new[] { "/oauth/authorize?client_id=https%3A%2F%2Fapp.example&redirect_uri=https%3A%2F%2Fapp.example%2F&response_type=token&scope=notes%3Arw", "/signup", "/setup" })
        {
            using var response = await browser.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{path}: {(int)response.StatusCode}");
            Assert.True(response.Headers.Contains("Retry-After"), path);
        }

        // Static files and other clients are not limited.
        using (var css = await browser.GetAsync("/css/site.css"))
        {
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        }

        using (var otherClient = new Browser(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() })
        using (var response = await otherClient.GetAsync("/login"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.3));
        using var after = await browser.GetAsync("/login");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task The_token_endpoint_answers_429_per_ip_with_retry_after_and_cors_and_recovers()
    {
        var ip = AbuseLimitedServerFixture.ClientIp();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < AbuseLimitedServerFixture.PagesPerMinute + 5 && limited is null; i++)
        {
            var response = await PostTokenAsync(ip);
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
        var before = statuses.Take(statuses.Count - 1).ToList();
        Assert.True(before.Count >= AbuseLimitedServerFixture.PagesPerMinute, $"429 after {before.Count} token requests");
        // An app that is not known yet is an invalid client (RFC 6749 §5.2).
        Assert.All(before, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal("2", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal("*", limited.Headers.GetValues("Access-Control-Allow-Origin").Single());
        limited.Dispose();

        await Task.Delay(TimeSpan.FromSeconds(2.3));
        using var after = await PostTokenAsync(ip);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("\"error\": \"invalid_client\"", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ip_with_many_failed_logins_gets_429_even_with_the_right_password_and_recovers()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);
        using var guesser = new Browser(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() };
        var login = await guesser.GetPageAsync("/login");

        // Many names, one wrong password each: no per-name lockout triggers. Every attempt costs
        // a password hash (names of no account too), so on a busy machine a permit may come back
        // (one every 5 seconds) before the budget is spent: go on until the first refusal.
        var failures = 0;
        for (var refused = false; !refused && failures < 4 * AbuseLimitedServerFixture.FailedLoginsPerMinute;)
        {
            using var failed = await guesser.SubmitAsync(login, "id=\"login\"", ("UserName", ServerFixture.NewUser()), ("Password", "wrong password"));
            refused = failed.StatusCode == HttpStatusCode.TooManyRequests;
            if (!refused)
            {
                Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
                Assert.Contains("The user name or password is not right.", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                failures++;
            }
        }

        Assert.InRange(failures, AbuseLimitedServerFixture.FailedLoginsPerMinute, (4 * AbuseLimitedServerFixture.FailedLoginsPerMinute) - 1);
        using (var limited = await guesser.SubmitAsync(login, "id=\"login\"", ("UserName", user), ("Password", AccountTestHelpers.Password)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);

            // 12 per minute: one more attempt every 5 seconds.
            Assert.Equal("5", limited.Headers.GetValues("Retry-After").Single());
            Assert.Contains("Too many failed logins from your network. Try again in 5 seconds.", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.DoesNotContain(guesser.Cookies.GetCookies(server.BaseAddress), c => c.Name == "unhostedstore");
        }

        using (var other = new Browser(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() })
        {
            await other.LoginAsync(user, AccountTestHelpers.Password);
        }

        await Task.Delay(TimeSpan.FromSeconds(5.3));
        using var after = await guesser.SubmitAsync(login, "id=\"login\"", ("UserName", user), ("Password", AccountTestHelpers.Password));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Single(guesser.Cookies.GetCookies(server.BaseAddress), c => c.Name == "unhostedstore");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, string clientIp)
    {
        using var request = new HttpRequestMessage(method, path).WithToken(token);
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("X-Forwarded-For", clientIp);
        return await server.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostTokenAsync(string clientIp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = "not-a-code",
                ["client_id"] = Origin,
                ["redirect_uri"] = Origin + "/",
                ["code_verifier"] = new string('v', 50),
            }),
        };
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("X-Forwarded-For", clientIp);
        return await server.Client.SendAsync(request);
    }

    private static int RetryAfter(HttpResponseMessage response) =>
        int.Parse(response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
}

public sealed class AbuseLimitTests_Sqlite(AbuseLimitedSqliteFixture server) : AbuseLimitTests(server), IClassFixture<AbuseLimitedSqliteFixture>;

public sealed class AbuseLimitTests_Postgres(AbuseLimitedPostgresFixture server) : AbuseLimitTests(server), IClassFixture<AbuseLimitedPostgresFixture>;
