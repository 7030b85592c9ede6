using System.Net;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.MultiInstance;
using static UnhostedStore.IntegrationTests.AppPasswords.AppPasswordHelpers;

namespace UnhostedStore.IntegrationTests.AppPasswords;

/// <summary>
/// App passwords on two server processes sharing only PostgreSQL and S3: made on A, used on B,
/// revoked on A; B, which has the token in its validated-token cache, refuses it at the next request.
/// </summary>
public sealed class AppPasswordTwoInstanceTests(PostgresS3TwoInstancesFixture server) : IClassFixture<PostgresS3TwoInstancesFixture>
{
    [Fact]
    public async Task An_app_password_made_on_A_works_on_B_until_A_revokes_it()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);
        using var onA = new Browser(server, server.A.BaseAddress, new CookieContainer());
        await onA.LoginAsync(user, AccountTestHelpers.Password);
        var token = await CreateAsync(onA, "Sync tool", "notes:rw");

        using var onB = new HttpClient { BaseAddress = server.B.BaseAddress };
        Assert.Equal(HttpStatusCode.Created, await SendAsync(onB, HttpMethod.Put, $"/storage/{user}/notes/a", token, "x"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(onB, HttpMethod.Get, $"/storage/{user}/notes/a", token));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(onB, HttpMethod.Get, $"/storage/{user}/contacts/", token));

        var page = await onA.GetPageAsync("/account");
        var id = Html.Attribute(Row(page, "Sync tool")!, "data-grant")!;
        using (var revoke = await onA.SubmitAsync(page, $"value=\"{id}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(onB, HttpMethod.Get, $"/storage/{user}/notes/a", token));
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path).WithToken(token);
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
