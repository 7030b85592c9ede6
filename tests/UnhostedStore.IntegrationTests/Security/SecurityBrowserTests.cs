using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using UnhostedStore.Accounts.Security;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// Passkeys, two-step verification and re-authentication in Debian's Chromium. Passkeys are
/// real WebAuthn ceremonies with Chromium's virtual authenticator (DevTools protocol: CTAP2,
/// resident keys, user verification). WebAuthn refuses IP-address origins, so the browser reaches
/// the server as http://localhost:port (a secure context; the RP ID is "localhost").
/// </summary>
public abstract class SecurityBrowserTests(SecurityServerFixture server, BrowserFixture browser, ITestOutputHelper output)
{
    private const float Timeout = 90_000;

    private string Origin => $"http://localhost:{server.BaseAddress.Port}";

    private static string Screenshots
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private string Shot(string name) => Path.Combine(Screenshots, $"{name}-{server.Backend}.png");

    [Fact]
    public Task A_passkey_added_on_the_security_page_logs_in_on_the_login_page_without_a_password() => WithLogAsync(async () =>
    {
        var user = await NewUserAsync();
        await using var context = await NewContextAsync(autofill: false);
        var page = await context.NewPageAsync();
        await AddAuthenticatorAsync(context, page);

        await PasswordLoginAsync(page, user);
        await AddPasskeyAsync(page, "Test authenticator");
        Assert.Equal("Test authenticator", (await page.TextContentAsync("tr.passkey .passkey-name"))?.Trim());
        Assert.Contains("never", await page.TextContentAsync("tr.passkey .last-used"), StringComparison.Ordinal);

        await LogOutAsync(page);
        await page.ClickAsync("#passkey");
        await page.WaitForSelectorAsync("#storage-address");
        Assert.Equal("hwk", (await SessionAsync(context))?.FindFirst(RecentLogin.MethodClaim)?.Value);

        await page.GotoAsync("/account/security");
        Assert.DoesNotContain("never", await page.TextContentAsync("tr.passkey .last-used"), StringComparison.Ordinal);
    });

    [Fact]
    public Task The_browsers_passkey_autofill_on_the_login_page_logs_in_when_a_passkey_is_chosen() => WithLogAsync(async () =>
    {
        var user = await NewUserAsync();
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await AddAuthenticatorAsync(context, page);
        await PasswordLoginAsync(page, user);
        await AddPasskeyAsync(page, "Autofill");

        // Conditional mediation (WebAuthn L3 §5.1.4): the login page asks at once, and the
        // virtual authenticator picks its passkey as a person would from the autofill list.
        await page.ClickAsync("form[action='/logout'] button");
        await page.WaitForSelectorAsync("#storage-address");
        Assert.Equal("hwk", (await SessionAsync(context))?.FindFirst(RecentLogin.MethodClaim)?.Value);
        Assert.Contains(_log, line => line.StartsWith($"POST {Origin}/login?handler=passkey ", StringComparison.Ordinal));
    });

    [Fact]
    public Task An_app_on_remotestorage_js_is_connected_through_a_passkey_login_and_stores_and_reads_a_document() => WithLogAsync(async () =>
    {
        var user = await NewUserAsync();
        await using var context = await NewContextAsync(autofill: false);

        // This run uses passkeys.js's own base64url conversion, as in browsers without the
        // WebAuthn Level 3 JSON methods.
        await context.AddInitScriptAsync("if (window.PublicKeyCredential) { delete PublicKeyCredential.parseCreationOptionsFromJSON; delete PublicKeyCredential.parseRequestOptionsFromJSON; delete PublicKeyCredential.prototype.toJSON; }");
        var page = await context.NewPageAsync();
        await AddAuthenticatorAsync(context, page);
        await PasswordLoginAsync(page, user);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof PublicKeyCredential.parseRequestOptionsFromJSON"));
        await AddPasskeyAsync(page, "For apps");
        await LogOutAsync(page);

        await page.GotoAsync(browser.App.PageFor(RsJs.Stable).ToString());
        await page.WaitForFunctionAsync("() => window.app && window.app.state.ready", null, new() { Timeout = Timeout });
        await page.EvaluateAsync("a => { setTimeout(() => app.connect(a), 0); }", $"{user}@localhost:{server.BaseAddress.Port}");

        await WaitForAsync(page, "/login", "#passkey");
        Assert.Contains("ReturnUrl=%2Foauth%2Fauthorize", page.Url, StringComparison.Ordinal);
        await page.ClickAsync("#passkey");

        await WaitForAsync(page, "/oauth/authorize", "#allow");
        Assert.Equal(browser.App.Origin.ToString().TrimEnd('/'), await page.TextContentAsync("#app-origin"));
        await page.ClickAsync("#allow");

        // Polled rather than WaitForURLAsync, which can miss a navigation that already committed.
        var deadline = DateTime.UtcNow.AddMilliseconds(Timeout);
        while (!page.Url.StartsWith(browser.App.Origin.ToString(), StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the browser did not come back to the app; it is at " + page.Url);
            await Task.Delay(20);
        }

        await page.WaitForFunctionAsync("() => window.app && window.app.state.connected", null, new() { Timeout = Timeout });

        await page.EvaluateAsync("() => app.storeText('passkey.txt', 'stored after a passkey login')");
        var text = await page.EvaluateAsync<JsonElement>("() => app.getText('passkey.txt')");
        Assert.Equal("stored after a passkey login", text.GetProperty("body").GetString());

        var token = await server.Tokens.IssueAsync(user, "notes:r");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/passkey.txt").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal("stored after a passkey login", Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
    });

    [Fact]
    public Task Two_step_verification_set_up_in_the_browser_asks_for_the_code_at_login_and_a_recovery_code_works_instead() => WithLogAsync(async () =>
    {
        var user = await NewUserAsync();
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var authenticator = await AddAuthenticatorAsync(context, page);
        await PasswordLoginAsync(page, user);
        await AddPasskeyAsync(page, "Laptop");

        await page.ClickAsync("#setup-2fa-button");
        await page.WaitForSelectorAsync("#authenticator-key");
        Assert.True(await page.IsVisibleAsync("#qr svg.qr"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("authenticator-setup"), FullPage = true });
        var key = (await page.TextContentAsync("#authenticator-key"))!.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        await page.FillAsync("#Code", Totp.Code(key, server.Clock.GetUtcNow()));
        await page.ClickAsync("#confirm-2fa-button");
        await page.WaitForSelectorAsync("#recovery-codes");
        var codes = await page.Locator("#recovery-codes code").AllTextContentsAsync();
        Assert.Equal(10, codes.Distinct().Count());
        await page.ClickAsync("#continue");
        await page.WaitForSelectorAsync("#totp-on");
        Assert.Equal(1, await page.Locator("tr.passkey").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("security-page-passkey-and-2fa"), FullPage = true });

        // This login is with the password: the passkey's device is out of reach.
        await authenticator.RemoveAsync();

        // Password, then the code.
        await LogOutAsync(page);
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", SecurityPages.Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#two-factor");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("login-2fa-step"), FullPage = true });
        await page.FillAsync("#Code", SecurityPages.LaterCode(key, server.Clock));
        await page.ClickAsync("#verify");
        await page.WaitForSelectorAsync("#storage-address");
        Assert.Equal("mfa", (await SessionAsync(context))?.FindFirst(RecentLogin.MethodClaim)?.Value);

        // Password, then a recovery code instead.
        await LogOutAsync(page);
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", SecurityPages.Password);
        await page.ClickAsync("#login");
        await page.WaitForSelectorAsync("#two-factor");
        await page.ClickAsync("#use-recovery-code");
        await page.FillAsync("#Code", codes[0]);
        await page.ClickAsync("#use-code");
        await page.WaitForSelectorAsync("#storage-address");
        Assert.Contains("9 codes left", await page.TextContentAsync("#message"), StringComparison.Ordinal);
    });

    [Fact]
    public Task Changing_the_password_of_an_old_login_first_asks_to_confirm_with_a_passkey() => WithLogAsync(async () =>
    {
        var user = await NewUserAsync();
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await AddAuthenticatorAsync(context, page);
        await PasswordLoginAsync(page, user);
        await AddPasskeyAsync(page, "Phone");
        var loggedInAt = RecentLogin.AuthTime((await SessionAsync(context))!)!.Value;

        server.Clock.Advance(TimeSpan.FromMinutes(11));
        await page.GotoAsync("/account/password");
        await page.WaitForSelectorAsync("#reauth-with-passkey");
        Assert.StartsWith(Origin + "/account/reauth?ReturnUrl=", page.Url, StringComparison.Ordinal);
        await page.ClickAsync("#reauth-with-passkey");
        await page.WaitForSelectorAsync("#NewPassword");
        Assert.Equal(Origin + "/account/password", page.Url);
        Assert.True(RecentLogin.AuthTime((await SessionAsync(context))!) > loggedInAt.AddMinutes(10));

        const string NewPassword = "changed after a passkey check";
        await page.FillAsync("#CurrentPassword", SecurityPages.Password);
        await page.FillAsync("#NewPassword", NewPassword);
        await page.FillAsync("#ConfirmPassword", NewPassword);
        await page.ClickAsync("#change");
        await page.WaitForSelectorAsync("#message");
        Assert.Contains("Your password was changed.", await page.TextContentAsync("#message"), StringComparison.Ordinal);
    });

    private async Task<string> NewUserAsync()
    {
        var user = ServerFixture.NewUser();
        await Infrastructure.Browser.CreateAccountAsync(server, user, SecurityPages.Password);
        return user;
    }

    /// <summary>Chromium's virtual authenticator for this tab: a platform passkey provider that
    /// keeps resident keys and verifies the user without asking.</summary>
    private static async Task<VirtualAuthenticator> AddAuthenticatorAsync(IBrowserContext context, IPage page)
    {
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return new VirtualAuthenticator(cdp, added!.Value.GetProperty("authenticatorId").GetString()!);
    }

    private sealed record VirtualAuthenticator(ICDPSession Session, string Id)
    {
        public async Task RemoveAsync() =>
            await Session.SendAsync("WebAuthn.removeVirtualAuthenticator", new Dictionary<string, object> { ["authenticatorId"] = Id });
    }

    private static async Task PasswordLoginAsync(IPage page, string user)
    {
        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", SecurityPages.Password);
        await page.ClickAsync("#login");

        // The account page's own element: WaitForURLAsync can miss a form post's navigation.
        await page.WaitForSelectorAsync("#storage-address");
    }

    private static async Task AddPasskeyAsync(IPage page, string name)
    {
        await page.GotoAsync("/account/security");
        var before = await page.Locator("tr.passkey").CountAsync();
        await page.FillAsync("#passkey-name", name);
        await page.ClickAsync("#add-passkey-button");
        await page.WaitForSelectorAsync("#message");
        Assert.Contains($"Passkey “{name}” added", await page.TextContentAsync("#message"), StringComparison.Ordinal);
        Assert.Equal(before + 1, await page.Locator("tr.passkey").CountAsync());
    }

    private static async Task LogOutAsync(IPage page)
    {
        await page.ClickAsync("form[action='/logout'] button");
        await page.WaitForSelectorAsync("#login");
    }

    private async Task<System.Security.Claims.ClaimsPrincipal?> SessionAsync(IBrowserContext context)
    {
        var cookie = (await context.CookiesAsync([Origin])).FirstOrDefault(c => c.Name == "unhostedstore");
        if (cookie is null)
        {
            return null;
        }

        var options = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>>(server.Services)
            .Get(Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme);
        return options.TicketDataFormat.Unprotect(cookie.Value)?.Principal;
    }

    private async Task WaitForAsync(IPage page, string path, string selector)
    {
        var prefix = Origin + path;
        var deadline = DateTime.UtcNow.AddMilliseconds(Timeout);
        while (!page.Url.StartsWith(prefix, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the browser did not reach {prefix}; it is at {page.Url}");
            await Task.Delay(20);
        }

        await page.Locator(selector).WaitForAsync(new() { Timeout = Timeout });
    }

    /// <summary>A fresh browser profile on the server's localhost origin. Without
    /// <paramref name="autofill"/> the page sees no conditional mediation, so the passkey button is
    /// what logs in (the virtual authenticator would answer the autofill request at once).</summary>
    private async Task<IBrowserContext> NewContextAsync(bool autofill = true)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Origin });
        context.SetDefaultTimeout(Timeout);
        if (!autofill)
        {
            await context.AddInitScriptAsync("if (window.PublicKeyCredential) { delete PublicKeyCredential.isConditionalMediationAvailable; }");
        }

        context.Page += (_, page) =>
        {
            page.Console += (_, m) => _log.Enqueue($"console.{m.Type}: {m.Text}");
            page.PageError += (_, e) => _log.Enqueue("page error: " + e);
            page.RequestFailed += (_, r) => _log.Enqueue($"request failed: {r.Method} {r.Url} {r.Failure}");
            page.Response += (_, r) => _log.Enqueue($"{r.Request.Method} {r.Url} -> {r.Status}");
        };
        return context;
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    private async Task WithLogAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            output.WriteLine(string.Join(Environment.NewLine, _log));
            throw;
        }
    }
}

[Collection(BrowserCollection.Name)]
public sealed class SecurityBrowserTests_Sqlite(SecuritySqliteFixture server, BrowserFixture browser, ITestOutputHelper output)
    : SecurityBrowserTests(server, browser, output), IClassFixture<SecuritySqliteFixture>;

[Collection(BrowserCollection.Name)]
public sealed class SecurityBrowserTests_PostgresS3(SecurityPostgresS3Fixture server, BrowserFixture browser, ITestOutputHelper output)
    : SecurityBrowserTests(server, browser, output), IClassFixture<SecurityPostgresS3Fixture>;
