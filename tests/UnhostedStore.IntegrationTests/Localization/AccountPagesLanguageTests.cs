using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Localization;

/// <summary>
/// The login, the account's home, its app passwords and activity, and the admin pages in German
/// when the browser prefers it (RFC 9110 §12.5.4), and in English without that preference; the
/// admin area's 403 page too.
/// </summary>
public abstract class AccountPagesLanguageTests(ServerFixture server)
{
    private const string German = "de-DE,de;q=0.9,en;q=0.5";

    [Fact]
    public async Task The_login_page_and_a_wrong_password_speak_German()
    {
        using var browser = new Browser(server);
        var (status, html) = await GetAsync(browser, "/login", German);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<h1>Bei Ihrem Speicher anmelden</h1>", html, StringComparison.Ordinal);
        Assert.Contains(">Benutzername</label>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Log in to your storage", html, StringComparison.Ordinal);

        var (_, english) = await GetAsync(browser, "/login", null);
        Assert.Contains("<h1>Log in to your storage</h1>", english, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_account_home_app_passwords_and_activity_pages_speak_German()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutAsync(server, user, token, "/notes/a", 1500);

        var (_, home) = await GetAsync(browser, "/account", German);
        Assert.Contains("<h1 id=\"address-heading\">Ihr Speicher</h1>", home, StringComparison.Ordinal);
        Assert.Contains(">Verbundene Apps</h2>", home, StringComparison.Ordinal);
        Assert.Contains("1,5 KB</strong> belegt (1 Dokument)", home, StringComparison.Ordinal);
        Assert.Contains("Dokumente: 1,5 KB", home, StringComparison.Ordinal);
        Assert.Contains("lesen und schreiben", home, StringComparison.Ordinal);
        Assert.DoesNotContain("Connected apps", home, StringComparison.Ordinal);

        var (_, appPasswords) = await GetAsync(browser, "/account/app-passwords", German);
        Assert.Contains("<h1 id=\"create-heading\">App-Passwörter</h1>", appPasswords, StringComparison.Ordinal);
        Assert.Contains(">Bis ich es widerrufe</span>", appPasswords, StringComparison.Ordinal);
        Assert.Contains(">30 Tage</span>", appPasswords, StringComparison.Ordinal);

        var (_, activity) = await GetAsync(browser, "/account/activity", German);
        Assert.Contains("<h1 id=\"activity-heading\">Letzte Aktivitäten</h1>", activity, StringComparison.Ordinal);
        Assert.Contains("<span class=\"summary\">Angemeldet</span>", activity, StringComparison.Ordinal);
        Assert.Contains("gerade eben", activity, StringComparison.Ordinal);
        Assert.Contains(">Sie<", activity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_pages_speak_German_and_so_does_their_403_page()
    {
        var (_, admin) = await LoggedInUserAsync(server, isAdmin: true);
        using var _ = admin;
        var (_, overview) = await GetAsync(admin, "/admin", German);
        Assert.Contains(">Übersicht</a>", overview, StringComparison.Ordinal);
        Assert.Contains("<h2 id=\"charts-heading\">Wohin der Speicher geht</h2>", overview, StringComparison.Ordinal);
        Assert.Contains("Die Datenbank antwortet.", overview, StringComparison.Ordinal);

        var (_, users) = await GetAsync(admin, "/admin/users", German);
        Assert.Contains(">Benutzer nach Namen suchen</label>", users, StringComparison.Ordinal);

        var (_, audit) = await GetAsync(admin, "/admin/audit", German);
        Assert.Contains("<h1 id=\"audit-heading\">Prüfprotokoll</h1>", audit, StringComparison.Ordinal);
        Assert.Contains("<optgroup label=\"Administration\">", audit, StringComparison.Ordinal);
        Assert.Contains(">Konto von der Administration gesperrt</option>", audit, StringComparison.Ordinal);

        var (_, person) = await LoggedInUserAsync(server);
        using var __ = person;
        var (status, forbidden) = await GetAsync(person, "/admin/users", German);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<html lang=\"de\">", forbidden, StringComparison.Ordinal);
        Assert.Contains("Nur für Administratoren", forbidden, StringComparison.Ordinal);
        var (_, english) = await GetAsync(person, "/admin/users", null);
        Assert.Contains("Only for administrators", english, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Html)> GetAsync(Browser browser, string path, string? acceptLanguage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptLanguage is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        using var response = await browser.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

public sealed class AccountPagesLanguageTests_Sqlite(SqliteServerFixture server) : AccountPagesLanguageTests(server), IClassFixture<SqliteServerFixture>;

public sealed class AccountPagesLanguageTests_Postgres(PostgresServerFixture server) : AccountPagesLanguageTests(server), IClassFixture<PostgresServerFixture>;
