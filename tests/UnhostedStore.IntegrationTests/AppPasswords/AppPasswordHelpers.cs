using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.AppPasswords;

/// <summary>The app-password page driven over HTTP, as a person would fill it in.</summary>
internal static class AppPasswordHelpers
{
    public const string PagePath = "/account/app-passwords";

    /// <summary>The answer to a filled-in form: its status and page.</summary>
    public static async Task<(HttpStatusCode Status, string Page)> SubmitAsync(Browser browser, string name, string scopes, string expiresDays)
    {
        var form = await browser.GetPageAsync(PagePath);
        using var response = await browser.SubmitAsync(form, "id=\"create-app-password\"", ("name", name), ("scopes", scopes), ("expiresDays", expiresDays));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates one through the page and returns the token it shows once.</summary>
    public static async Task<string> CreateAsync(Browser browser, string name, string scopes, string expiresDays = "30")
    {
        var (status, page) = await SubmitAsync(browser, name, scopes, expiresDays);
        Assert.True(status == HttpStatusCode.OK, $"creating an app password: {(int)status}\n{page}");
        return Token(page);
    }

    public static string Token(string page) =>
        Html.Attribute(Html.Element(page, "id=\"new-token\"", ">") ?? throw new InvalidOperationException("no new token on the page:\n" + page), "value")!;

    /// <summary>The connected-apps row of the app password with this name on the account page.</summary>
    public static string? Row(string accountPage, string name)
    {
        var at = accountPage.IndexOf($"<span class=\"app-password-name\">{WebUtility.HtmlEncode(name)}</span>", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var start = accountPage.LastIndexOf("<tr", at, StringComparison.Ordinal);
        var end = accountPage.IndexOf("</tr>", at, StringComparison.Ordinal);
        return accountPage[start..(end + 5)];
    }

    public static async Task<HttpStatusCode> SendAsync(ServerFixture server, HttpMethod method, string user, string token, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, $"/storage/{user}{path}").WithToken(token);
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }

        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }
}
