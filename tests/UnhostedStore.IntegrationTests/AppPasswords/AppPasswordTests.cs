using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.AppPasswords.AppPasswordHelpers;

namespace UnhostedStore.IntegrationTests.AppPasswords;

/// <summary>
/// App passwords made on /account/app-passwords: bearer tokens (RFC 6750 §2.1) with exactly the
/// scopes chosen (draft-26 §9), listed and revoked with the connected apps, expiring when chosen,
/// kept only as a hash, and made only after a recent login. The server's clock is the tests'
/// (<see cref="TestClock"/>), so "31 days later" needs no waiting.
/// </summary>
public abstract class AppPasswordTests(SecurityServerFixture server)
{
    private Task<HttpStatusCode> Send(HttpMethod method, string user, string token, string path, string? body = null) =>
        SendAsync(server, method, user, token, path, body);

    [Fact]
    public async Task An_app_password_reads_and_writes_within_its_scopes_and_gets_403_outside_them()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await CreateAsync(browser, "Backup script", "notes:rw photos:r");

        Assert.Equal(HttpStatusCode.Created, await Send(HttpMethod.Put, user, token, "/notes/todo.txt", "buy milk"));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/notes/todo.txt"));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/notes/"));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/photos/"));

        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Put, user, token, "/photos/cat.jpg", "meow"));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Put, user, token, "/contacts/alice", "x"));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Get, user, token, "/contacts/"));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Get, user, token, "/"));

        // Another person's storage is not reachable with it at all.
        var other = ServerFixture.NewUser();
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Get, other, token, "/notes/"));
    }

    [Fact]
    public async Task A_read_only_app_password_reads_but_every_write_and_delete_is_refused()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var writer = server.Tokens.Issue(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await Send(HttpMethod.Put, user, writer, "/notes/a", "kept"));
        var token = await CreateAsync(browser, "Reader", "notes:r");

        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/notes/a"));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Put, user, token, "/notes/a", "changed"));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Put, user, token, "/notes/b", "new"));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Delete, user, token, "/notes/a"));
    }

    [Fact]
    public async Task An_app_password_is_a_bearer_token_only_and_not_accepted_as_a_basic_password()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await CreateAsync(browser, "Basic try", "notes:rw");
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/notes/"));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + token)));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_account_page_lists_it_as_an_app_password_with_name_scopes_created_last_used_and_expiry()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var now = server.Clock.GetUtcNow().UtcDateTime;
        var token = await CreateAsync(browser, "Laptop <backup>", "notes:rw contacts:r", "90");

        var row = Row(await browser.GetPageAsync("/account"), "Laptop <backup>");
        Assert.NotNull(row);
        Assert.Contains("data-kind=\"app-password\"", row, StringComparison.Ordinal);
        Assert.Contains("data-origin=\"" + UnhostedStore.Authorization.AppPasswords.Origin + "\"", row, StringComparison.Ordinal);
        Assert.Contains("<span class=\"kind\">app password</span>", row, StringComparison.Ordinal);
        Assert.Contains("Laptop &lt;backup&gt;", row, StringComparison.Ordinal);
        Assert.Contains("read and write your notes", row, StringComparison.Ordinal);
        Assert.Contains("read your contacts", row, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Revoke the app password Laptop &lt;backup&gt;\"", row, StringComparison.Ordinal);
        Assert.Contains($"datetime=\"{Day(now)}", row, StringComparison.Ordinal);
        Assert.Contains(Day(now.AddDays(90)), Html.Element(row, "class=\"expires\"", "</td>"), StringComparison.Ordinal);
        Assert.Contains("never", Html.Element(row, "class=\"last-used\"", "</td>"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/notes/"));
        row = Row(await browser.GetPageAsync("/account"), "Laptop <backup>")!;
        var lastUsed = Html.Element(row, "class=\"last-used\"", "</td>")!;
        Assert.Contains($"datetime=\"{Day(server.Clock.GetUtcNow().UtcDateTime)}", lastUsed, StringComparison.Ordinal);

        // An app password never stands in for an app's consent: the OAuth grants stay apart.
        await using var scope = server.CreateScope();
        var grants = await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None);
        var grant = Assert.Single(grants);
        Assert.True(grant.IsAppPassword);
        Assert.Equal("Laptop <backup>", grant.AppPasswordName);
        Assert.Equal("contacts:r notes:rw", grant.Scopes.ToString());
    }

    [Fact]
    public async Task Revoking_it_on_the_account_page_refuses_it_at_the_very_next_request_and_leaves_others_working()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var revoked = await CreateAsync(browser, "Old phone", "notes:rw");
        var kept = await CreateAsync(browser, "New phone", "notes:rw");

        // Both validated once, so both sit in the validated-token cache.
        Assert.Equal(HttpStatusCode.Created, await Send(HttpMethod.Put, user, revoked, "/notes/a", "x"));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, kept, "/notes/a"));

        var page = await browser.GetPageAsync("/account");
        var id = Html.Attribute(Row(page, "Old phone")!, "data-grant")!;
        using (var revoke = await browser.SubmitAsync(page, $"value=\"{id}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, user, revoked, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, kept, "/notes/a"));
        page = await browser.GetPageAsync("/account");
        Assert.Null(Row(page, "Old phone"));
        Assert.NotNull(Row(page, "New phone"));

        // The person's activity names both app passwords by name, and never shows a token.
        var activity = await browser.GetPageAsync("/account/activity");
        Assert.Contains("App password created", activity, StringComparison.Ordinal);
        Assert.Contains("App password revoked", activity, StringComparison.Ordinal);
        Assert.Contains("&quot;Old phone&quot; on the account page.", activity, StringComparison.Ordinal);
        Assert.DoesNotContain(revoked, activity, StringComparison.Ordinal);
        Assert.DoesNotContain(kept, activity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_app_password_stops_working_when_its_time_is_up_and_leaves_the_list()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using (browser)
        {
            var monthly = await CreateAsync(browser, "Monthly", "notes:rw", "30");
            var forever = await CreateAsync(browser, "Forever", "notes:rw", "0");
            Assert.Equal(HttpStatusCode.Created, await Send(HttpMethod.Put, user, monthly, "/notes/a", "x"));
            Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, forever, "/notes/a"));

            server.Clock.Advance(TimeSpan.FromDays(29));
            Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, monthly, "/notes/a"));

            server.Clock.Advance(TimeSpan.FromDays(2));
            Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, user, monthly, "/notes/a"));
            Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, forever, "/notes/a"));
        }

        // The session has ended meanwhile too: a new login sees only the one that still works.
        using var again = new Browser(server);
        await again.LoginAsync(user, Password);
        var page = await again.GetPageAsync("/account");
        Assert.Null(Row(page, "Monthly"));
        Assert.Contains("until revoked", Html.Element(Row(page, "Forever")!, "class=\"expires\"", "</td>"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_is_kept_only_as_a_hash_nowhere_in_the_database_in_plain_text()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await CreateAsync(browser, "Hash check", "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await Send(HttpMethod.Put, user, token, "/notes/a", "x"));

        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var tokens = await db.Set<OpenIddictEntityFrameworkCoreToken>().AsNoTracking().Where(t => t.Subject == user).ToListAsync();
        var grants = await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().AsNoTracking().Where(a => a.Subject == user).ToListAsync();
        var entry = Assert.Single(tokens);
        Assert.Single(grants);
        Assert.NotNull(entry.ReferenceId);
        Assert.NotEqual(token, entry.ReferenceId);
        foreach (var text in tokens.SelectMany(StringValues).Concat(grants.SelectMany(StringValues)))
        {
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        }

        // OpenIddict finds the entry by hashing what is presented.
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        Assert.Equal(entry.Id, await manager.GetIdAsync((await manager.FindByReferenceIdAsync(token))!));

        if (server.Backend == Backend.SqliteFileSystem)
        {
            // Every byte the server wrote: the SQLite database, its journal, blobs and logs.
            var needle = Encoding.UTF8.GetBytes(token);
            foreach (var file in Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories))
            {
                var bytes = await ReadSharedAsync(file);
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"the token is in {file}");
            }
        }
    }

    [Fact]
    public async Task Creating_one_needs_a_login_from_the_last_ten_minutes()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var form = await browser.GetPageAsync(PagePath);
        server.Clock.Advance(TimeSpan.FromMinutes(11));

        using (var stale = await browser.GetAsync(PagePath))
        {
            Assert.Equal(HttpStatusCode.Redirect, stale.StatusCode);
            Assert.Equal("/account/reauth?ReturnUrl=%2Faccount%2Fapp-passwords", stale.Headers.Location!.OriginalString);
        }

        // The form that was already open makes nothing either.
        using (var post = await browser.SubmitAsync(form, "id=\"create-app-password\"", ("name", "Too late"), ("scopes", "notes:rw"), ("expiresDays", "30")))
        {
            Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
            Assert.StartsWith("/account/reauth?", post.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        Assert.Empty(await GrantsAsync(user));

        var reauth = await browser.GetPageAsync("/account/reauth?ReturnUrl=%2Faccount%2Fapp-passwords");
        using (var confirmed = await browser.SubmitAsync(reauth, "id=\"reauth\"", ("Password", Password)))
        {
            Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
            Assert.Equal(PagePath, confirmed.Headers.Location!.OriginalString);
        }

        var token = await CreateAsync(browser, "In time", "notes:rw");
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, user, token, "/notes/"));
        Assert.Single(await GrantsAsync(user));
    }

    [Theory]
    [InlineData("", "notes:rw", "30", "name-error", "Give the app password a name, for example the program that will use it.")]
    [InlineData("   ", "notes:rw", "30", "name-error", "Give the app password a name")]
    [InlineData("Script", "", "30", "scopes-error", "Say what the app password may use, for example notes:rw.")]
    [InlineData("Script", "notes:write", "30", "scopes-error", "&quot;notes:write&quot; is not a module and access.")]
    [InlineData("Script", "notes:rw public:rw", "30", "scopes-error", "&quot;public:rw&quot; is not a module and access.")]
    [InlineData("Script", "notes", "30", "scopes-error", "&quot;notes&quot; is not a module and access. Write each as module:r (read only) or module:rw (read and write)")]
    [InlineData("Script", "notes:rw", "7", "expires-error", "Choose how long the app password works: 30 days, 90 days, 1 year or until you revoke it.")]
    [InlineData("Script", "notes:rw", "", "expires-error", "Choose how long the app password works")]
    public async Task A_form_with_a_mistake_says_what_to_fix_in_plain_words_and_makes_nothing(string name, string scopes, string expires, string field, string message)
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;

        var (status, page) = await SubmitAsync(browser, name, scopes, expires);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = Html.Element(page, $"id=\"{field}\"", "</p>");
        Assert.True(error is not null, $"no {field} on the page:\n{page}");
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"new-token\"", page, StringComparison.Ordinal);

        // What was typed stays in the form, to be corrected (only blanks count as nothing).
        Assert.Equal(scopes, Html.Attribute(Html.Element(page, "id=\"scopes\"", ">")!, "value"));
        Assert.Equal(string.IsNullOrWhiteSpace(name) ? string.Empty : name, Html.Attribute(Html.Element(page, "id=\"name\"", ">")!, "value"));
        Assert.Empty(await GrantsAsync(user));
    }

    [Fact]
    public async Task Commas_between_scopes_are_read_as_spaces_and_duplicates_merge()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var form = await browser.GetPageAsync(PagePath);
        using var response = await browser.SubmitAsync(form, "id=\"create-app-password\"", ("name", "Sync"), ("scopes", "notes:r, notes:rw,contacts:r"), ("expiresDays", "365"));
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, "the page showing the token must not be stored");
        Assert.Contains("read and write your notes", Html.Element(page, "id=\"created-scopes\"", "</ul>"), StringComparison.Ordinal);
        Assert.Contains(Day(server.Clock.GetUtcNow().UtcDateTime.AddDays(365)), Html.Element(page, "id=\"created-expires\"", "</p>"), StringComparison.Ordinal);
        Assert.Contains($"/storage/{user}</span>", page, StringComparison.Ordinal);
        Assert.Equal("contacts:r notes:rw", Assert.Single(await GrantsAsync(user)).Scopes.ToString());
    }

    [Fact]
    public async Task The_cli_lists_an_app_password_by_its_name_and_revokes_it_with_the_others()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await CreateAsync(browser, "Nightly backup", "*:r", "0");

        var list = await Cli.CliRunner.RunAsync(server, null, "tokens", "list", user);
        Assert.True(list.ExitCode == 0, list.ToString());
        var row = Assert.Single(list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("app password \"Nightly backup\" ", StringComparison.Ordinal));
        var cells = row.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("*:r", cells[1]);
        Assert.Equal("never", cells[3]);

        var revoke = await Cli.CliRunner.RunAsync(server, null, "tokens", "revoke", user, "--origin", UnhostedStore.Authorization.AppPasswords.Origin);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, user, token, "/notes/"));
    }

    [Fact]
    public async Task Creating_without_the_antiforgery_token_is_refused_and_makes_nothing()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        using var response = await browser.PostAsync(PagePath, [new("name", "Forged"), new("scopes", "*:rw"), new("expiresDays", "0")]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await GrantsAsync(user));
    }

    private async Task<IReadOnlyList<GrantInfo>> GrantsAsync(string user)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None);
    }

    private static string Day(DateTime utc) => utc.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<string> StringValues(object entity) =>
        entity.GetType().GetProperties().Where(p => p.PropertyType == typeof(string)).Select(p => p.GetValue(entity) as string ?? string.Empty);

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await file.CopyToAsync(copy);
        return copy.ToArray();
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch, and each run of them costs a server and
// real processes; the storage contract classes cover all three combinations.
public sealed class AppPasswordTests_Sqlite(SecuritySqliteFixture server) : AppPasswordTests(server), IClassFixture<SecuritySqliteFixture>;

public sealed class AppPasswordTests_PostgresS3(SecurityPostgresS3Fixture server) : AppPasswordTests(server), IClassFixture<SecurityPostgresS3Fixture>;
