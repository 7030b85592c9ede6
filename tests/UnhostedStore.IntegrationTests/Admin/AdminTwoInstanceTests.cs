using System.Net;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.MultiInstance;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// Disabling on one instance holds on every instance at once: two server processes on one
/// PostgreSQL database and bucket (<see cref="PostgresS3TwoInstancesFixture"/>); the admin works
/// on A, the user's app talks to B, whose validated-token cache already holds the token.
/// </summary>
public sealed class AdminTwoInstanceTests(PostgresS3TwoInstancesFixture server) : IClassFixture<PostgresS3TwoInstancesFixture>
{
    private static async Task<HttpStatusCode> ReadOnAsync(Uri instance, string user, string token)
    {
        using var http = new HttpClient { BaseAddress = instance };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken(token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_user_disabled_on_A_is_refused_on_B_at_the_next_request_and_enabled_on_A_works_on_B_again()
    {
        var admin = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, admin, Password, isAdmin: true);
        using var onA = new Browser(server, server.A.BaseAddress, new CookieContainer());
        await onA.LoginAsync(admin, Password);

        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var token = (await Browser.IssueAsync(server, user, App, 30, "notes:rw")).AccessToken;
        using var userOnB = new Browser(server, server.B.BaseAddress, new CookieContainer());
        await userOnB.LoginAsync(user, Password);

        // Twice: the second answer comes from B's validated-token cache.
        Assert.Equal(HttpStatusCode.OK, await ReadOnAsync(server.B.BaseAddress, user, token));
        Assert.Equal(HttpStatusCode.OK, await ReadOnAsync(server.B.BaseAddress, user, token));

        await ConfirmedAsync(onA, user, "disable");

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadOnAsync(server.B.BaseAddress, user, token));
        using (var session = await userOnB.GetAsync("/account"))
        {
            Assert.Equal(HttpStatusCode.Redirect, session.StatusCode);
        }

        await ConfirmedAsync(onA, user, "enable");
        Assert.Equal(HttpStatusCode.OK, await ReadOnAsync(server.B.BaseAddress, user, token));
    }
}
