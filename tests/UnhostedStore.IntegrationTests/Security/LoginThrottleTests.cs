using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>A server with a test clock and a small per-IP budget of failed logins.</summary>
public abstract class LoginThrottleFixture(Backend backend) : SecurityServerFixture(backend)
{
    /// <summary>One permit back every 10 seconds: a test's failures come well within that.</summary>
    public const int FailedLoginsPerIp = 6;

    /// <summary><c>Accounts:LockoutAttempts</c>, its default.</summary>
    public const int LockoutAttempts = 5;

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        base.ConfigureSettings(builder);
        builder.UseSetting("RateLimiting:FailedLoginsPerIpPerMinute", FailedLoginsPerIp.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class LoginThrottleSqliteFixture() : LoginThrottleFixture(Backend.SqliteFileSystem);

public sealed class LoginThrottlePostgresFixture() : LoginThrottleFixture(Backend.PostgresFileSystem);

/// <summary>
/// ASVS V2.2.1: wrong passwords are limited per client IP and per client IP and account name, and
/// no attack from one network can lock the owner out from another. Each browser is its own client
/// IP (X-Forwarded-For from the trusted loopback proxy).
/// </summary>
public abstract class LoginThrottleTests(LoginThrottleFixture server)
{
    private const string Password = SecurityPages.Password;

    private Browser From() => new(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() };

    private async Task<string> NewAccountAsync()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        return user;
    }

    private async Task<UserAccount> AccountAsync(string user)
    {
        await using var scope = server.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().FindByNameAsync(user))!;
    }

    [Fact]
    public async Task A_right_password_from_another_network_always_logs_in_while_an_attacker_hammers_the_account()
    {
        var user = await NewAccountAsync();
        using var attacker = From();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4 * LoginThrottleFixture.LockoutAttempts; i++)
        {
            using (var wrong = await attacker.TryLoginAsync(user, "wrong password " + i))
            {
                statuses.Add(wrong.StatusCode);
            }

            if (i % 3 == 2)
            {
                // The owner, elsewhere, gets in at once every time.
                using var owner = From();
                await owner.LoginAsync(user, Password);
                Assert.True(await SecurityPages.IsLoggedInAsync(owner));
            }
        }

        Assert.All(statuses.Take(LoginThrottleFixture.LockoutAttempts), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(statuses.Skip(LoginThrottleFixture.LockoutAttempts), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        // Even the right password is refused from the attacker's network.
        using (var right = await attacker.TryLoginAsync(user, Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
            Assert.Contains("Too many failed attempts for this user name from your network.", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.DoesNotContain(attacker.Cookies.GetCookies(server.BaseAddress), c => c.Name == "unhostedstore");
        }

        // Identity's per-account lockout never tripped.
        var account = await AccountAsync(user);
        Assert.Null(account.LockoutEnd);
        Assert.Equal(0, account.AccessFailedCount);
    }

    [Fact]
    public async Task Wrong_passwords_lock_one_network_out_of_one_name_until_the_lockout_ends()
    {
        var user = await NewAccountAsync();
        var other = await NewAccountAsync();
        using var browser = From();
        for (var i = 0; i < LoginThrottleFixture.LockoutAttempts; i++)
        {
            using var wrong = await browser.TryLoginAsync(user, "wrong password " + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("The user name or password is not right.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var locked = await browser.TryLoginAsync(user, Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
            Assert.InRange(int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), (15 * 60) - 5, 15 * 60);
            Assert.Contains("Try again in 15 minutes.", await locked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Another name from the same network is not locked.
        await browser.LoginAsync(other, Password);

        // After Accounts:LockoutMinutes (15), the network may try that name again.
        server.Clock.Advance(TimeSpan.FromMinutes(14));
        using (var still = await browser.TryLoginAsync(user, Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, still.StatusCode);
        }

        server.Clock.Advance(TimeSpan.FromMinutes(1.1));
        await browser.LoginAsync(user, Password);
    }

    [Fact]
    public async Task One_network_trying_many_names_is_limited_per_ip_and_the_owner_elsewhere_still_logs_in()
    {
        var user = await NewAccountAsync();

        // Names of accounts and names of none alike.
        var names = new List<string>();
        for (var i = 0; i < LoginThrottleFixture.FailedLoginsPerIp; i++)
        {
            names.Add(i % 2 == 0 ? ServerFixture.NewUser() : await NewAccountAsync());
        }

        using var sprayer = From();
        foreach (var name in names)
        {
            using var wrong = await sprayer.TryLoginAsync(name, "wrong password");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using (var limited = await sprayer.TryLoginAsync(user, Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Contains("Too many failed logins from your network.", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var owner = From();
        await owner.LoginAsync(user, Password);
    }

    [Fact]
    public async Task A_name_of_no_account_locks_exactly_like_an_account_so_the_lockout_tells_nothing()
    {
        var known = await NewAccountAsync();
        var unknown = ServerFixture.NewUser();
        var answers = new Dictionary<string, List<(HttpStatusCode Status, string Error)>>();
        foreach (var name in new[] { known, unknown })
        {
            using var browser = From();
            answers[name] = [];
            for (var i = 0; i <= LoginThrottleFixture.LockoutAttempts; i++)
            {
                using var response = await browser.TryLoginAsync(name, "wrong password " + i);
                answers[name].Add((response.StatusCode, EnumerationTests.ErrorText(await response.Content.ReadAsStringAsync())));
            }
        }

        Assert.Equal(answers[known], answers[unknown]);
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[unknown][^1].Status);
    }
}

public sealed class LoginThrottleTests_Sqlite(LoginThrottleSqliteFixture server) : LoginThrottleTests(server), IClassFixture<LoginThrottleSqliteFixture>;

public sealed class LoginThrottleTests_Postgres(LoginThrottlePostgresFixture server) : LoginThrottleTests(server), IClassFixture<LoginThrottlePostgresFixture>;
