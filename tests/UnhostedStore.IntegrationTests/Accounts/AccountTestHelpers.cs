using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Accounts;

internal static class AccountTestHelpers
{
    public const string Password = "correct horse battery";

    public static async Task<HttpStatusCode> PutAsync(ServerFixture server, string user, string token, string path, int bytes, string? host = null)
    {
        var content = new ByteArrayContent(new byte[bytes]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    public static async Task<HttpStatusCode> DeleteAsync(ServerFixture server, string user, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/storage/{user}{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    public static async Task<HttpStatusCode> GetAsync(ServerFixture server, string user, string token, string path, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}{path}").WithToken(token);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>A new user with <see cref="Password"/>, logged in in a new browser.</summary>
    public static async Task<(string User, Browser Browser)> LoggedInUserAsync(ServerFixture server, bool isAdmin = false, string? host = null)
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password, isAdmin);
        var browser = new Browser(server, host);
        await browser.LoginAsync(user, Password);
        return (user, browser);
    }

    /// <summary>The table row of one grant on the account page.</summary>
    public static string? AppRow(string page, string authorizationId) =>
        Html.Element(page, $"data-grant=\"{authorizationId}\"", "</tr>");
}
