using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.OAuth;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Localization;

/// <summary>
/// The pages in English and German: <c>Accept-Language</c> chooses (RFC 9110 §12.5.4), the
/// footer's language switch sets the <c>.AspNetCore.Culture</c> cookie, which then wins over
/// the header; <c>&lt;html lang&gt;</c> follows. The storage API and WebFinger stay protocol:
/// never localized.
/// </summary>
public abstract class PageLanguageTests(ServerFixture server)
{
    [Fact]
    public async Task Accept_Language_de_renders_the_files_page_in_German_with_html_lang_de()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutAsync(server, user, token, "/notes/todo.txt", 1500);

        var (status, language, html) = await GetAsync(browser, "/files?path=/notes/", "de-DE,de;q=0.9,en;q=0.5");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("de", language);
        Assert.Contains("<html lang=\"de\">", html, StringComparison.Ordinal);
        Assert.Contains(">Dateien hinzufügen</h2>", html, StringComparison.Ordinal);
        Assert.Contains(">In diesem Ordner</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"col\">Erstellt von</th>", html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"todo.txt herunterladen\"", html, StringComparison.Ordinal);
        Assert.Contains("1,5 KB", html, StringComparison.Ordinal);
        Assert.Contains("data-t-uploaded-one=\"{0} Datei hochgeladen.\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">Add files</h2>", html, StringComparison.Ordinal);

        // The root: the title and the usage line, numbers in German format.
        var (_, _, root) = await GetAsync(browser, "/files", "de");
        Assert.Contains("<title>Ihre Dateien · UnhostedStore</title>", root, StringComparison.Ordinal);
        Assert.Contains("1,5 KB belegt, 1 Dokument", root, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_German_preference_the_pages_stay_English()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        foreach (var accept in new string?[] { null, "en-US,en;q=0.9", "fr-FR,fr;q=0.9" })
        {
            var (status, language, html) = await GetAsync(browser, "/files", accept);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("en", language);
            Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
            Assert.Contains("<title>Your files · UnhostedStore</title>", html, StringComparison.Ordinal);
            Assert.Contains(">Add files</h2>", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_consent_page_asks_in_German_when_the_browser_prefers_German()
    {
        using var browser = await OAuthBrowser.LoggedInAsync(server);
        using var request = new HttpRequestMessage(HttpMethod.Get, OAuthQuery.AuthorizePath + "?" + OAuthQuery.Implicit(ImplicitFlowTests.Callback, "contacts:rw *:r", "s"));
        request.Headers.AcceptLanguage.ParseAdd("de");
        using var response = await browser.Client.SendAsync(request);

        // Texts from resources are written as they are; texts the page model made are
        // HTML-encoded (non-ASCII as character references): compare what a browser shows.
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html lang=\"de\">", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Darf diese App Ihren Speicher nutzen?</h1>", html, StringComparison.Ordinal);
        Assert.Contains(">https://app.example</span> möchte:", html, StringComparison.Ordinal);
        Assert.Contains("<li>Ihr Modul „contacts“ lesen und schreiben</li>", html, StringComparison.Ordinal);
        Assert.Contains("<li>alles in Ihrem Speicher lesen</li>", html, StringComparison.Ordinal);
        Assert.Contains("Bis ich es widerrufe", html, StringComparison.Ordinal);
        Assert.Contains("30 Tage", html, StringComparison.Ordinal);
        Assert.Contains(">Erlauben</button>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_messages_of_data_annotations_follow_the_language()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        foreach (var (accept, expected) in new[] { ("de", "Geben Sie Ihr Passwort ein, um zu bestätigen, dass Sie es sind."), ("en", "Type your password to confirm that it is you.") })
        {
            var (_, _, page) = await GetAsync(browser, "/account/delete", accept);
            var token = Html.HiddenInputs(Html.Form(page, "id=\"delete\"")).Single(i => i.Name == "__RequestVerificationToken").Value;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/account/delete")
            {
                Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("Password", string.Empty)]),
            };
            request.Headers.TryAddWithoutValidation("Accept-Language", accept);
            using var response = await browser.SendAsync(request);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.Contains(expected, html, StringComparison.Ordinal);
            Assert.DoesNotContain("Delete_PasswordRequired", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_language_switch_sets_the_culture_cookie_which_wins_over_Accept_Language()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var (_, _, german) = await GetAsync(browser, "/files", "de");
        Assert.Contains(">Dateien hinzufügen</h2>", german, StringComparison.Ordinal);

        // English, although the browser still prefers German.
        using (var toEnglish = await SwitchAsync(browser, german, "en", "/files?sort=size"))
        {
            Assert.Equal(HttpStatusCode.Redirect, toEnglish.StatusCode);
            Assert.Equal("/files?sort=size", toEnglish.Headers.Location!.OriginalString);
            var cookie = Assert.Single(toEnglish.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Culture=", StringComparison.Ordinal));
            Assert.StartsWith(".AspNetCore.Culture=c%3Den%7Cuic%3Den;", cookie, StringComparison.Ordinal);
            Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        }

        var (_, language, english) = await GetAsync(browser, "/files", "de");
        Assert.Equal("en", language);
        Assert.Contains("<html lang=\"en\">", english, StringComparison.Ordinal);
        Assert.Contains(">Add files</h2>", english, StringComparison.Ordinal);
        Assert.Contains("id=\"language-en\" aria-current=\"true\"", english, StringComparison.Ordinal);

        // And back to German, although the browser now prefers English.
        using (var toGerman = await SwitchAsync(browser, english, "de", "/files"))
        {
            Assert.Equal(HttpStatusCode.Redirect, toGerman.StatusCode);
        }

        var (_, _, again) = await GetAsync(browser, "/files", "en");
        Assert.Contains("<html lang=\"de\">", again, StringComparison.Ordinal);
        Assert.Contains(">Dateien hinzufügen</h2>", again, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("https://evil.example/files")]
    [InlineData("javascript:alert(1)")]
    [InlineData("")]
    public async Task The_language_switch_goes_back_only_to_a_page_of_this_site(string returnUrl)
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var page = await browser.GetPageAsync("/files");
        using var response = await SwitchAsync(browser, page, "de", returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_language_switch_refuses_a_post_without_its_antiforgery_token_and_unknown_languages()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        using (var forged = await browser.PostAsync("/culture", [new("culture", "de"), new("returnUrl", "/files")]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(".AspNetCore.Culture=", StringComparison.Ordinal)));
        }

        var page = await browser.GetPageAsync("/files");
        using var unknown = await SwitchAsync(browser, page, "fr", "/files");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Storage_and_WebFinger_answers_are_never_localized()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        using (var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/a.txt") { Content = new StringContent("a", Encoding.UTF8, "text/plain") }.WithToken(token))
        {
            request.Headers.AcceptLanguage.ParseAdd("de");
            using var put = await server.Client.SendAsync(request);
            Assert.True(put.IsSuccessStatusCode);
            Assert.False(put.Content.Headers.Contains("Content-Language"));
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/.well-known/webfinger?resource=acct:{user}@{server.BaseAddress.Authority}"))
        {
            request.Headers.AcceptLanguage.ParseAdd("de");
            using var webfinger = await server.Client.SendAsync(request);
            Assert.False(webfinger.Content.Headers.Contains("Content-Language"));
        }
    }

    private static async Task<(HttpStatusCode Status, string? Language, string Html)> GetAsync(Browser browser, string path, string? acceptLanguage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptLanguage is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        using var response = await browser.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentLanguage.SingleOrDefault(), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Submits the footer's language switch of <paramref name="page"/>.</summary>
    private static Task<HttpResponseMessage> SwitchAsync(Browser browser, string page, string culture, string returnUrl)
    {
        var token = Html.HiddenInputs(Html.Form(page, "id=\"language-switch\"")).Single(i => i.Name == "__RequestVerificationToken").Value;
        return browser.PostAsync("/culture", [new("__RequestVerificationToken", token), new("culture", culture), new("returnUrl", returnUrl)]);
    }
}

public sealed class PageLanguageTests_Sqlite(SqliteServerFixture server) : PageLanguageTests(server), IClassFixture<SqliteServerFixture>;

public sealed class PageLanguageTests_Postgres(PostgresServerFixture server) : PageLanguageTests(server), IClassFixture<PostgresServerFixture>;
