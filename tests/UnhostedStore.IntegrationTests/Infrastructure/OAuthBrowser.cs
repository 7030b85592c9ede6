using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// A browser for the OAuth dialog over real HTTP: keeps cookies, never follows redirects, logs
/// in through <c>/login</c>, opens <c>/oauth/authorize</c> and posts the consent form with the
/// antiforgery token taken from that very form.
/// </summary>
public sealed class OAuthBrowser : IDisposable
{
    public const string Password = "correct horse battery staple";

    /// <summary>In kilobytes: room for a 100 KB state echoed in a Location header.</summary>
    private static readonly int MaxResponseHeadersKilobytes = 1024;

    private OAuthBrowser(ServerFixture server, string user)
    {
        User = user;
        Cookies = new CookieContainer();
        Client = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = true,
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxResponseHeadersLength = MaxResponseHeadersKilobytes,
        })
        { BaseAddress = server.BaseAddress };
    }

    public string User { get; }

    public HttpClient Client { get; }

    public CookieContainer Cookies { get; }

    /// <summary>A browser for a new user with a password, not logged in yet.</summary>
    public static async Task<OAuthBrowser> ForNewUserAsync(ServerFixture server)
    {
        var user = ServerFixture.NewUser();
        await CreateUserAsync(server, user);
        return new OAuthBrowser(server, user);
    }

    /// <summary>A browser for a new user, logged in.</summary>
    public static async Task<OAuthBrowser> LoggedInAsync(ServerFixture server)
    {
        var browser = await ForNewUserAsync(server);
        using var response = await browser.LoginAsync();
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }

    public static async Task CreateUserAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        var result = await users.CreateAsync(new UserAccount { UserName = user, CreatedUtc = DateTime.UtcNow }, Password);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }

    /// <summary>Fills in and posts the login form; returns the answer (302 on success).</summary>
    public async Task<HttpResponseMessage> LoginAsync(string? returnUrl = null)
    {
        var url = "/login" + (returnUrl is null ? string.Empty : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl));
        using var page = await Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var form = HtmlForm.Parse(await page.Content.ReadAsStringAsync());
        form.Fields["UserName"] = User;
        form.Fields["Password"] = Password;
        return await Client.PostAsync(form.Action ?? url, form.Content());
    }

    public Task<HttpResponseMessage> AuthorizeAsync(string query) => Client.GetAsync(OAuthQuery.AuthorizePath + "?" + query);

    /// <summary>Opens the consent page and returns its form (asserts that it was shown).</summary>
    public async Task<HtmlForm> ConsentAsync(string query)
    {
        using var response = await AuthorizeAsync(query);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected the consent page, got {(int)response.StatusCode} {response.Headers.Location}: {html}");
        return HtmlForm.Parse(html, OAuthQuery.AuthorizePath);
    }

    /// <summary>Posts the consent form with a decision (allow|deny) and a lifetime in days.</summary>
    public Task<HttpResponseMessage> DecideAsync(HtmlForm consent, string decision, int? lifetime = 30)
    {
        var fields = new Dictionary<string, string>(consent.Fields, StringComparer.Ordinal) { ["decision"] = decision };
        if (lifetime is { } days)
        {
            fields["lifetime"] = days.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Client.PostAsync(consent.Action ?? OAuthQuery.AuthorizePath, new FormUrlEncodedContent(fields));
    }

    /// <summary>
    /// The whole dialog: authorize, and (unless consent is remembered) answer the consent page.
    /// Returns the redirect the app receives.
    /// </summary>
    public async Task<Uri> GrantAsync(string query, string decision = "allow", int lifetime = 30)
    {
        using (var first = await AuthorizeAsync(query))
        {
            if (first.StatusCode == HttpStatusCode.Redirect)
            {
                return first.Headers.Location!;
            }

            Assert.True(first.StatusCode == HttpStatusCode.OK, $"expected the consent page, got {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
            var form = HtmlForm.Parse(await first.Content.ReadAsStringAsync(), OAuthQuery.AuthorizePath);
            using var decided = await DecideAsync(form, decision, lifetime);
            Assert.True(decided.StatusCode == HttpStatusCode.Redirect, $"expected a redirect, got {(int)decided.StatusCode}: {await decided.Content.ReadAsStringAsync()}");
            return decided.Headers.Location!;
        }
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>Builds authorization request query strings, every value percent-encoded.</summary>
public static class OAuthQuery
{
    public const string AuthorizePath = "/oauth/authorize";

    public const string TokenPath = "/oauth/token";

    public static string Implicit(string redirectUri, string scope, string? state = null, string? clientId = null) =>
        Build(("response_type", "token"), ("redirect_uri", redirectUri), ("scope", scope), ("state", state), ("client_id", clientId ?? Origin(redirectUri)));

    public static string Code(string redirectUri, string scope, Pkce pkce, string? state = null) =>
        Build(("response_type", "code"), ("redirect_uri", redirectUri), ("scope", scope), ("state", state), ("client_id", Origin(redirectUri)),
              ("code_challenge", pkce.Challenge), ("code_challenge_method", "S256"));

    public static string Build(params (string Name, string? Value)[] parameters) =>
        string.Join('&', parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)));

    private static string? Origin(string redirectUri) =>
        Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;
}

/// <summary>A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge.</summary>
public sealed record Pkce(string Verifier, string Challenge)
{
    public static Pkce New()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return new Pkce(verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// The parameters an app reads from the redirect (RFC 6749 §4.2.2: the fragment; §4.1.2: the
/// query), both raw (as rs.js splits them, on <c>&amp;</c> and <c>=</c>) and percent-decoded.
/// </summary>
public sealed class OAuthRedirect
{
    private OAuthRedirect(Uri location, string raw)
    {
        Location = location;
        Raw = raw;
        RawPairs = raw.Length == 0
            ? []
            : raw.Split('&').Select(p =>
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                return eq < 0 ? new KeyValuePair<string, string>(p, string.Empty) : new KeyValuePair<string, string>(p[..eq], p[(eq + 1)..]);
            }).ToList();
        Values = RawPairs.GroupBy(p => Uri.UnescapeDataString(p.Key), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Uri.UnescapeDataString(g.First().Value), StringComparer.Ordinal);
    }

    public Uri Location { get; }

    /// <summary>The fragment or query without its leading <c>#</c>/<c>?</c>.</summary>
    public string Raw { get; }

    public IReadOnlyList<KeyValuePair<string, string>> RawPairs { get; }

    public IReadOnlyDictionary<string, string> Values { get; }

    public string? this[string name] => Values.TryGetValue(name, out var v) ? v : null;

    public static OAuthRedirect FromFragment(Uri location) => new(location, location.Fragment.TrimStart('#'));

    public static OAuthRedirect FromQuery(Uri location) => new(location, location.Query.TrimStart('?'));
}

/// <summary>The first POST form of an HTML page: its action and the fields it would submit
/// (hidden and text inputs; radios, checkboxes and buttons are left to the caller).</summary>
public sealed class HtmlForm
{
    private HtmlForm(string? action, Dictionary<string, string> fields)
    {
        Action = action;
        Fields = fields;
    }

    public string? Action { get; }

    public Dictionary<string, string> Fields { get; }

    public string? AntiforgeryToken => Fields.TryGetValue("__RequestVerificationToken", out var t) ? t : null;

    public FormUrlEncodedContent Content() => new(Fields);

    /// <summary>The POST form whose action is <paramref name="action"/>; without one, the first
    /// form that is not the layout's log-out form.</summary>
    public static HtmlForm Parse(string html, string? action = null)
    {
        var start = -1;
        var at = 0;
        while ((at = html.IndexOf("<form", at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            var tag = html[at..(html.IndexOf('>', at) + 1)];
            var formAction = Attribute(tag, "action");
            if (action is null ? formAction != "/logout" : formAction == action)
            {
                start = at;
                break;
            }

            at += 5;
        }

        Assert.True(start >= 0, $"the page has no form for {action ?? "(this page)"}: " + html);
        var end = html.IndexOf("</form>", start, StringComparison.OrdinalIgnoreCase);
        var formHtml = html[start..(end < 0 ? html.Length : end)];
        var formTag = formHtml[..(formHtml.IndexOf('>', StringComparison.Ordinal) + 1)];
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        at = 0;
        while ((at = formHtml.IndexOf("<input", at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            var close = formHtml.IndexOf('>', at);
            var tag = formHtml[at..(close + 1)];
            at = close + 1;
            var type = Attribute(tag, "type") ?? "text";
            if (type is "radio" or "checkbox" or "submit" or "button" || Attribute(tag, "name") is not { } name)
            {
                continue;
            }

            fields[name] = Attribute(tag, "value") ?? string.Empty;
        }

        return new HtmlForm(Attribute(formTag, "action"), fields);
    }

    public static string? Attribute(string tag, string name)
    {
        var marker = " " + name + "=\"";
        var i = tag.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (i < 0)
        {
            return null;
        }

        i += marker.Length;
        var j = tag.IndexOf('"', i);
        return WebUtility.HtmlDecode(tag[i..j]);
    }
}
