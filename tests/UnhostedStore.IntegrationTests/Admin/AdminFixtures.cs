using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>A server of its own per test class, with a clock the tests move (re-authentication,
/// link expiry): the admin tests change server-wide settings and count admins.</summary>
public sealed class AdminSqliteFixture() : SecurityServerFixture(Backend.SqliteFileSystem);

public sealed class AdminPostgresFixture() : SecurityServerFixture(Backend.PostgresFileSystem);

/// <summary>The admin pages driven over HTTP as an admin's browser would.</summary>
internal static class AdminPages
{
    public const string Password = AccountTestHelpers.Password;

    public const string App = "https://app.example";

    /// <summary>Every admin page, for the access tests.</summary>
    public static readonly string[] Paths = ["/admin", "/admin/users", "/admin/invites", "/admin/settings", "/admin/create-user"];

    public static Task<(string User, Browser Browser)> LoggedInAdminAsync(ServerFixture server) =>
        AccountTestHelpers.LoggedInUserAsync(server, isAdmin: true);

    public static string UserPath(string user) => "/admin/users/" + user;

    /// <summary>Opens the confirmation page of <paramref name="change"/> and confirms it.</summary>
    public static async Task<HttpResponseMessage> ConfirmAsync(Browser admin, string user, string change, params (string Name, string Value)[] fields)
    {
        var page = await admin.GetPageAsync(UserPath(user) + "/" + change);
        return await admin.SubmitAsync(page, "id=\"confirm-form\"", fields);
    }

    /// <summary>Confirms a change that must succeed: back to the user's page with a message.</summary>
    public static async Task<string> ConfirmedAsync(Browser admin, string user, string change, params (string Name, string Value)[] fields)
    {
        using var response = await ConfirmAsync(admin, user, change, fields);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{change} {user}: {(int)response.StatusCode}\n{await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.OriginalString;
    }

    /// <summary>The message a redirect after a change leads to.</summary>
    public static async Task<string> MessageAtAsync(Browser browser, string location) =>
        Html.Text(Html.Element(await browser.GetPageAsync(location), "id=\"message\"", "</p>") ?? "(no message)");

    public static async Task<UserAccount> AccountAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().FindByNameAsync(user))!;
    }

    public static async Task<string?> SettingAsync(ServerFixture server, string name)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).ServerSettings.AsNoTracking().Where(s => s.Name == name).Select(s => s.Value).FirstOrDefaultAsync();
    }

    /// <summary>A storage read with the token: 200/404 while it works, 401 once refused.</summary>
    public static Task<HttpStatusCode> ReadAsync(ServerFixture server, string user, string token) =>
        AccountTestHelpers.GetAsync(server, user, token, "/notes/");

    public static Task<HttpStatusCode> WriteAsync(ServerFixture server, string user, string token, string name) =>
        AccountTestHelpers.PutAsync(server, user, token, "/notes/" + name, 32);
}
