using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>The security pages driven over HTTP with <see cref="Browser"/>, as a person would.</summary>
internal static partial class SecurityPages
{
    public const string Password = "correct horse battery";

    /// <summary>Sets up an authenticator app on /account/security (confirmed with the code of the
    /// server's current 30-second step); returns its key and the recovery codes shown once.</summary>
    public static async Task<(string Key, IReadOnlyList<string> Codes)> EnableAuthenticatorAsync(Browser browser, TimeProvider clock)
    {
        var security = await browser.GetPageAsync("/account/security");
        using (var start = await browser.SubmitAsync(security, "id=\"setup-2fa\""))
        {
            Assert.True(start.StatusCode == HttpStatusCode.Redirect, $"set-up: {(int)start.StatusCode} {start.Headers.Location}\n{await start.Content.ReadAsStringAsync()}");
        }

        var setup = await browser.GetPageAsync("/account/security/authenticator");
        var key = Key(setup);
        using var confirm = await browser.SubmitAsync(setup, "id=\"confirm-2fa\"", ("Code", Totp.Code(key, clock.GetUtcNow())));
        var done = await confirm.Content.ReadAsStringAsync();
        Assert.True(confirm.StatusCode == HttpStatusCode.OK, done);
        return (key, Codes(done));
    }

    /// <summary>A code the server has not seen yet: each code works once, so after the one that
    /// confirmed the set-up, logins use the next steps (up to 2 ahead are accepted).</summary>
    public static string LaterCode(string key, TimeProvider clock, int steps = 1) => Totp.Code(key, clock.GetUtcNow().AddSeconds(30 * steps));

    public static string Key(string setupPage) =>
        Html.Text(Regex.Replace(Html.Element(setupPage, "id=\"authenticator-key\"", "</code>") ?? throw new InvalidOperationException("no key on the page:\n" + setupPage), "<[^>]+>", string.Empty)).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    public static IReadOnlyList<string> Codes(string page)
    {
        var list = Html.Element(page, "id=\"recovery-codes\"", "</ul>") ?? throw new InvalidOperationException("no recovery codes on the page:\n" + page);
        return CodeItem().Matches(list).Select(m => Html.Text(m.Groups[1].Value)).ToList();
    }

    [GeneratedRegex("<code>([^<]+)</code>")]
    private static partial Regex CodeItem();

    /// <summary>The password step of a login with two-step verification: returns the second
    /// step's URL it redirects to.</summary>
    public static async Task<string> PasswordStepAsync(Browser browser, string user, string? returnUrl = null)
    {
        var login = await browser.GetPageAsync("/login" + (returnUrl is null ? string.Empty : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl)));
        using var response = await browser.SubmitAsync(login, "id=\"login\"", ("UserName", user), ("Password", Password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/login/2fa", location, StringComparison.Ordinal);
        return location;
    }

    /// <summary>Whether this browser is logged in: /account answers 200, or sends to /login.</summary>
    public static async Task<bool> IsLoggedInAsync(Browser browser)
    {
        using var response = await browser.GetAsync("/account");
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>The session this browser holds, as the server reads its cookie.</summary>
    public static ClaimsPrincipal? Session(ServerFixture server, Browser browser)
    {
        var cookie = browser.Cookies.GetCookies(server.BaseAddress)["unhostedstore"]?.Value;
        if (string.IsNullOrEmpty(cookie))
        {
            return null;
        }

        var options = server.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(IdentityConstants.ApplicationScheme);
        return options.TicketDataFormat.Unprotect(cookie)?.Principal;
    }

    public static async Task<UserAccount> AccountAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().FindByNameAsync(user))!;
    }

    /// <summary>A passkey as the store keeps it, added behind the pages' back: for the rules that
    /// only ask whether one exists (the browser tests register real ones).</summary>
    public static async Task<byte[]> AddStoredPasskeyAsync(ServerFixture server, string user, string name)
    {
        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        var account = (await users.FindByNameAsync(user))!;
        var id = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var passkey = new UserPasskeyInfo(id, new byte[77], DateTimeOffset.UtcNow, 0, ["internal"], isUserVerified: true, isBackupEligible: false, isBackedUp: false, attestationObject: [], clientDataJson: []) { Name = name };
        Assert.True((await users.AddOrUpdatePasskeyAsync(account, passkey)).Succeeded);
        return id;
    }
}
