using Microsoft.Playwright;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Localization;

/// <summary>
/// The file browser in headless Chromium set to German: the page, its script's upload messages
/// and the number format are German and <c>&lt;html lang="de"&gt;</c>; the footer's switch turns
/// it English and the choice sticks; the account pages, the admin pages and the consent dialog
/// read in German too.
/// Screenshots: tests/TestResults/screenshots/files-de.png and others ending in -de.png.
/// </summary>
public abstract class PageLanguageBrowserTests(ServerFixture server, BrowserFixture browser)
{
    private static string Screenshots => Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "TestResults", "screenshots");

    [Fact]
    public async Task A_German_browser_sees_the_files_page_in_German_and_can_switch_it_to_English()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutAsync(server, user, token, "/notes/list.bin", 2560);
        Directory.CreateDirectory(Screenshots);
        var upload = Path.Combine(server.DataDirectory, "hallo.txt");
        await File.WriteAllTextAsync(upload, "Hallo Welt");

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString(), Locale = "de-DE" });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                errors.Add(page.Url + ": " + m.Text);
            }
        };

        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("#login");
        await page.WaitForUrlAsync(url => url.Contains("/account", StringComparison.Ordinal));

        await page.GotoAsync("/files?path=/notes/");
        await page.WaitForSelectorAsync("#files");
        Assert.Equal("de", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("Dateien", (await page.InnerTextAsync("#nav-files")).Trim());
        Assert.Equal("Dateien hinzufügen", (await page.InnerTextAsync("#upload-heading")).Trim());
        Assert.Equal("In diesem Ordner", (await page.InnerTextAsync("#listing-heading")).Trim());
        Assert.Equal("2,5 KB", (await page.InnerTextAsync("tr[data-path='/notes/list.bin'] td.size")).Replace("Größe", string.Empty, StringComparison.Ordinal).Trim());
        Assert.Equal("Löschen", (await page.InnerTextAsync("tr[data-path='/notes/list.bin'] a.delete")).Trim());
        Assert.Equal("Sprache:", (await page.InnerTextAsync("#language-switch span")).Trim());

        // The script's words come from the page: German too.
        await page.SetInputFilesAsync("#pick-files", upload);
        await page.WaitForFunctionAsync("() => document.getElementById('upload-status').textContent.includes('1 Datei hochgeladen.')");
        Assert.Equal("Hochgeladen.", (await page.InnerTextAsync("#uploads li .state")).Trim());
        await page.WaitForSelectorAsync("tr[data-path='/notes/hallo.txt']");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "files-de.png"), FullPage = true });

        // The switch: English, and it stays English on the next page although the browser asks for German.
        await page.ClickAsync("#language-en");
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'en'");
        Assert.Contains("/files?path=/notes/", page.Url, StringComparison.Ordinal);
        Assert.Equal("Add files", (await page.InnerTextAsync("#upload-heading")).Trim());
        await page.GotoAsync("/files");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("Your files", (await page.InnerTextAsync("#folder-heading")).Trim());
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task The_account_pages_the_admin_pages_and_the_consent_dialog_read_in_German()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password, isAdmin: true);
        var token = await server.Tokens.IssueAsync(user, "*:rw");
        await PutAsync(server, user, token, "/notes/a.bin", 100);
        await DeleteAsync(server, user, token, "/notes/a.bin");
        Directory.CreateDirectory(Screenshots);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString(), Locale = "de-DE" });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                errors.Add(page.Url + ": " + m.Text);
            }
        };

        await page.GotoAsync("/login");
        await page.FillAsync("#UserName", user);
        await page.FillAsync("#Password", Password);
        await page.ClickAsync("#login");
        await page.WaitForUrlAsync(url => url.Contains("/account", StringComparison.Ordinal));

        foreach (var (path, heading, shot) in new[]
        {
            ("/account/security", "Passkeys", "security-de.png"),
            ("/account/history", "Papierkorb", "trash-de.png"),
            ("/account/shares", "Links zum Teilen", "shares-de.png"),
            ("/account/export", "Ihre Daten exportieren", "export-de.png"),
            ("/account/history/restore", "Einen Ordner auf einen früheren Stand zurücksetzen", "restore-de.png"),
            ("/account", "Ihr Speicher", "home-de.png"),
            ("/account/app-passwords", "App-Passwörter", "app-passwords-de.png"),
            ("/account/activity", "Letzte Aktivitäten", "activity-de.png"),
            ("/admin", "Administration", "admin-de.png"),
            ("/admin/users", "Benutzer", "admin-users-de.png"),
            ("/admin/audit", "Prüfprotokoll", "admin-audit-de.png"),
        })
        {
            await page.GotoAsync(path);
            Assert.Equal("de", await page.GetAttributeAsync("html", "lang"));
            Assert.Equal(heading, (await page.InnerTextAsync("h1")).Trim());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, shot), FullPage = true });
        }

        // The trash lists the deleted document with German words around it.
        await page.GotoAsync("/account/history");
        Assert.StartsWith("Gelöscht ", (await page.InnerTextAsync(".trash-item .meta")).Trim(), StringComparison.Ordinal);
        Assert.Equal("Wiederherstellen", (await page.InnerTextAsync(".trash-item button")).Trim());

        // The consent dialog.
        await page.GotoAsync("/oauth/authorize?response_type=token&client_id=https%3A%2F%2Fapp.example&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=notes%3Arw&state=s");
        Assert.Equal("Darf diese App Ihren Speicher nutzen?", (await page.InnerTextAsync("h1")).Trim());
        Assert.Equal("Ihr Modul „notes“ lesen und schreiben", (await page.InnerTextAsync("#scopes li")).Trim());
        Assert.Equal("Erlauben", (await page.InnerTextAsync("#allow")).Trim());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "consent-de.png"), FullPage = true });
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}

[Collection(BrowserCollection.Name)]
public sealed class PageLanguageBrowserTests_Sqlite(SqliteServerFixture server, BrowserFixture browser) : PageLanguageBrowserTests(server, browser), IClassFixture<SqliteServerFixture>;
