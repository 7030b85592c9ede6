using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// A browser stand-in for the server's pages: keeps cookies, follows no redirects, and posts
/// forms with the antiforgery token scraped from the form it submits. <see cref="Host"/>, when
/// set, is sent as the Host header (for the split-hosts fixture).
/// </summary>
public sealed class Browser : IDisposable
{
    private readonly HttpClient _client;

    public Browser(ServerFixture server, string? host = null)
        : this(server, server.BaseAddress, new CookieContainer(), host)
    {
    }

    /// <summary>A browser that talks to <paramref name="baseAddress"/> (one instance of several)
    /// with <paramref name="cookies"/> (another browser's, to carry its login across instances).</summary>
    public Browser(ServerFixture server, Uri baseAddress, CookieContainer cookies, string? host = null)
    {
        Server = server;
        Host = host;
        Cookies = cookies;
        _client = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = Cookies, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
        };
    }

    public ServerFixture Server { get; }

    public string? Host { get; }

    /// <summary>When set, sent as X-Forwarded-For: the client IP the server sees (the test
    /// client on loopback is a trusted proxy), so abuse-limit tests can be several clients.</summary>
    public string? ClientIp { get; init; }

    /// <summary>When set, sent as the User-Agent header (the audit log records it).</summary>
    public string? UserAgent { get; init; }

    public CookieContainer Cookies { get; }

    /// <summary>The page last fetched by <see cref="GetPageAsync"/>.</summary>
    public string LastPage { get; private set; } = string.Empty;

    /// <summary>The path last fetched: where a form without an action posts to.</summary>
    public string? LastPath { get; private set; }

    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        LastPath = path;
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        AddHeaders(request);

        return await _client.SendAsync(request);
    }

    /// <summary>GETs a page that must answer 200 and returns its HTML.</summary>
    public async Task<string> GetPageAsync(string path)
    {
        using var response = await GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}\n{body}");
        LastPage = body;
        return body;
    }

    /// <summary>
    /// Submits the form of <paramref name="html"/> that contains <paramref name="marker"/>
    /// (any text inside the form tag or its content), with its own antiforgery token and hidden
    /// fields plus <paramref name="fields"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SubmitAsync(string html, string marker, params (string Name, string Value)[] fields)
    {
        var form = Html.Form(html, marker);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Html.HiddenInputs(form))
        {
            values[name] = value;
        }

        foreach (var (name, value) in fields)
        {
            values[name] = value;
        }

        var action = Html.Attribute(form, "action") ?? LastPath ?? throw new InvalidOperationException("form without action, and no page fetched: " + form);
        return await PostAsync(action, values);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> values)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(values) };
        AddHeaders(request);

        return await _client.SendAsync(request);
    }

    /// <summary>Posts a multipart form (a file upload) with the cookies of this browser.</summary>
    public async Task<HttpResponseMessage> PostMultipartAsync(string path, MultipartFormDataContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        AddHeaders(request);

        return await _client.SendAsync(request);
    }

    /// <summary>Sends any request (a PUT of a page's upload) with the cookies of this browser.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        AddHeaders(request);
        return await _client.SendAsync(request);
    }

    private void AddHeaders(HttpRequestMessage request)
    {
        if (Host is not null)
        {
            request.Headers.Host = Host;
        }

        if (ClientIp is not null)
        {
            request.Headers.Add("X-Forwarded-For", ClientIp);
        }

        if (UserAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }
    }

    public async Task LoginAsync(string user, string password)
    {
        using var response = await TryLoginAsync(user, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"login of {user}: {(int)response.StatusCode}\n{await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Fills in and posts the login form; 302 means logged in, 200 shows the form with an error.</summary>
    public async Task<HttpResponseMessage> TryLoginAsync(string user, string password)
    {
        var page = await GetPageAsync("/login");
        return await SubmitAsync(page, "id=\"login\"", ("UserName", user), ("Password", password));
    }

    /// <summary>Creates an account with a password, as the setup or sign-up page would.</summary>
    public static async Task CreateAccountAsync(ServerFixture server, string user, string password, bool isAdmin = false)
    {
        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        var result = await AccountCommands.CreateAsync(users, TimeProvider.System, user, password, isAdmin);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
    }

    /// <summary>A real token for <paramref name="user"/> from an app of any origin (server.Tokens uses one fixed origin).</summary>
    public static async Task<IssuedToken> IssueAsync(ServerFixture server, string user, string origin, int days, params string[] scopes)
    {
        await using var scope = server.CreateScope();
        await TestTokens.EnsureAccountAsync(scope.ServiceProvider, user);
        Assert.True(ScopeSet.TryParse(string.Join(' ', scopes), out var scopeSet));
        Assert.True(ClientOrigin.TryParse(origin, out var clientOrigin, out _));
        return await scope.ServiceProvider.GetRequiredService<OperatorTokens>().IssueAsync(user, scopeSet, clientOrigin!, days, CancellationToken.None);
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>Just enough HTML reading for the server's own, well-formed pages.</summary>
public static class Html
{
    public static string Form(string html, string marker)
    {
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no '{marker}' in page:\n{html}");
        var start = html.LastIndexOf("<form", at, StringComparison.Ordinal);
        var end = html.IndexOf("</form>", at, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"'{marker}' is not inside a form");
        return html[start..end];
    }

    public static IEnumerable<(string Name, string Value)> HiddenInputs(string form)
    {
        var at = 0;
        while ((at = form.IndexOf("<input", at, StringComparison.Ordinal)) >= 0)
        {
            var close = form.IndexOf('>', at);
            var tag = form[at..close];
            at = close;
            if (Attribute(tag, "type") == "hidden" && Attribute(tag, "name") is { } name)
            {
                yield return (name, Attribute(tag, "value") ?? string.Empty);
            }
        }
    }

    /// <summary>The decoded value of the first <c>name="…"</c> attribute in <paramref name="fragment"/>.</summary>
    public static string? Attribute(string fragment, string name)
    {
        var key = " " + name + "=\"";
        var at = fragment.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var start = at + key.Length;
        var end = fragment.IndexOf('"', start);
        return WebUtility.HtmlDecode(fragment[start..end]);
    }

    /// <summary>The element (start tag to the next <paramref name="endTag"/>) whose start tag contains <paramref name="marker"/>.</summary>
    public static string? Element(string html, string marker, string endTag)
    {
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var start = html.LastIndexOf('<', at);
        var end = html.IndexOf(endTag, at, StringComparison.Ordinal);
        return html[start..(end + endTag.Length)];
    }

    public static string Text(string fragment) => WebUtility.HtmlDecode(fragment);
}
