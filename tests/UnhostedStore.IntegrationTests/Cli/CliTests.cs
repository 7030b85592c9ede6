using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Cli;

/// <summary>
/// The admin CLI on the same database as a running server: what it does must be visible to the
/// server at once (tokens, revocation, accounts, removed data). The commands run in this process,
/// each with a host of its own as a separate process would build; nothing is shared with the
/// server but the database and the blob store. The executable itself: <see cref="CliUsageTests"/>.
/// </summary>
public abstract class CliTests(ServerFixture server)
{
    [Fact]
    public async Task A_token_issued_by_the_cli_works_on_the_server_until_the_cli_revokes_it()
    {
        var user = ServerFixture.NewUser();
        var add = await CliRunner.RunAsync(server, null, "users", "add", user, "--no-password");
        Assert.True(add.ExitCode == 0, add.ToString());

        var issue = await CliRunner.RunAsync(server, null, "tokens", "issue", user, "--scope", "notes:rw", "--origin", "https://App.example/", "--expires", "30");
        Assert.True(issue.ExitCode == 0, issue.ToString());

        // stdout is exactly the token and a line break, so scripts can capture it.
        var token = issue.Stdout.TrimEnd('\n', '\r');
        Assert.Equal(token + Environment.NewLine, issue.Stdout);
        Assert.True(token.Length >= 20, issue.ToString());
        Assert.DoesNotContain(" ", token, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, await PutAsync(user, "notes/cli", "from the cli", token));
        using (var get = await GetAsync(user, "notes/cli", token))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("from the cli", await get.Content.ReadAsStringAsync());
        }

        // The grant is a real one: listed with its normalized origin, scopes and a 30-day lifetime.
        var list = await CliRunner.RunAsync(server, null, "tokens", "list", user);
        Assert.True(list.ExitCode == 0, list.ToString());
        var row = Assert.Single(list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("https://app.example ", StringComparison.Ordinal));
        var cells = row.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("notes:rw", cells[1]);
        var granted = DateTime.ParseExact(cells[2], "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var expires = DateTime.ParseExact(cells[3], "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        Assert.InRange(expires - granted, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));

        var revoke = await CliRunner.RunAsync(server, null, "tokens", "revoke", user, "--origin", "https://app.example");
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, await PutAsync(user, "notes/cli", "after revoke", token));
        using (var get = await GetAsync(user, "notes/cli", token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        }
    }

    [Fact]
    public async Task A_user_added_with_a_password_is_listed_and_logs_in_and_set_password_replaces_the_password()
    {
        var user = ServerFixture.NewUser();
        var add = await CliRunner.RunAsync(server, "first password 1\n", "users", "add", user, "--admin", "--password-stdin");
        Assert.True(add.ExitCode == 0, add.ToString());

        var list = await CliRunner.RunAsync(server, null, "users", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        var row = Assert.Single(list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith(user + " ", StringComparison.Ordinal));
        var cells = row.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal([user, "yes"], cells[..2]);
        Assert.Equal(["0", "0", "unlimited"], cells[^3..]);

        Assert.True(await LogInAsync(user, "first password 1"));

        var set = await CliRunner.RunAsync(server, "second password 2\n", "users", "set-password", user, "--password-stdin");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.False(await LogInAsync(user, "first password 1"));
        Assert.True(await LogInAsync(user, "second password 2"));
    }

    [Fact]
    public async Task Removing_a_user_deletes_the_account_grants_tokens_document_rows_and_blobs()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        // Larger than the fixtures' inline threshold (16 bytes), so both go to the blob store.
        Assert.Equal(HttpStatusCode.Created, await PutAsync(user, "notes/a", "hello, this is a!", token));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(user, "notes/sub/b", "world! and a little more", token));

        List<string> blobKeys;
        await using (var scope = server.CreateScope())
        {
            blobKeys = await ServerFixture.Db(scope).Nodes.Where(n => n.Owner == user && !n.IsFolder).Select(n => n.BlobKey!).ToListAsync();
        }

        Assert.Equal(2, blobKeys.Count);
        var stored = await server.StoredBlobKeysAsync();
        Assert.All(blobKeys, key => Assert.Contains(key, stored));

        var list = await CliRunner.RunAsync(server, null, "users", "list");
        var row = Assert.Single(list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith(user + " ", StringComparison.Ordinal));
        Assert.Equal(["41", "2", "unlimited"], row.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^3..]);

        var remove = await CliRunner.RunAsync(server, null, "users", "remove", user, "--now");
        Assert.True(remove.ExitCode == 0, remove.ToString());

        // Its steps are announced on stderr; stdout is only the one-line summary.
        Assert.StartsWith($"Removed user {user}: 2 document(s), 41 byte(s), ", remove.Stdout, StringComparison.Ordinal);
        Assert.Single(remove.Stdout.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("users remove: deleting 2 document(s), 41 byte(s)", remove.Stderr, StringComparison.Ordinal);

        using (var get = await GetAsync(user, "notes/a", token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        }

        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            Assert.Equal(0, await db.Nodes.CountAsync(n => n.Owner == user));
            Assert.Equal(0, await db.Accounts.CountAsync(a => a.UserName == user));
            Assert.Equal(0, await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().CountAsync(a => a.Subject == user));
            Assert.Equal(0, await db.Set<OpenIddictEntityFrameworkCoreToken>().CountAsync(t => t.Subject == user));
            Assert.Null(await scope.ServiceProvider.GetRequiredService<UserManager<UnhostedStore.Persistence.UserAccount>>().FindByNameAsync(user));
        }

        var left = await server.StoredBlobKeysAsync();
        Assert.All(blobKeys, key => Assert.DoesNotContain(key, left));
    }

    [Fact]
    public async Task Removing_a_user_without_now_disables_the_account_at_once_and_schedules_its_erasure_after_the_grace_period()
    {
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(user, "notes/a", "hello, this is a!", token));
        using (var get = await GetAsync(user, "notes/a", token))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        var remove = await CliRunner.RunAsync(server, null, "users", "remove", user);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.StartsWith($"Scheduled user {user} for erasure on ", remove.Stdout, StringComparison.Ordinal);
        Assert.Contains($"'users remove {user} --now'", remove.Stdout, StringComparison.Ordinal);

        // Disabled at once: the token (cached by the GET above) is refused; nothing is erased yet.
        using (var get = await GetAsync(user, "notes/a", token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        }

        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            var deletion = await db.AccountDeletions.SingleAsync(d => d.UserName == user);
            Assert.Equal(UnhostedStore.Persistence.AccountDeletionState.Pending, deletion.State);
            Assert.InRange(deletion.EraseAfterUtc, DateTime.UtcNow.AddDays(7).AddMinutes(-5), DateTime.UtcNow.AddDays(7).AddMinutes(5));
            Assert.Equal(1, await db.Nodes.CountAsync(n => n.Owner == user && !n.IsFolder));
        }

        // No new token while the account is leaving.
        var issue = await CliRunner.RunAsync(server, null, "tokens", "issue", user, "--scope", "notes:r");
        Assert.Equal(1, issue.ExitCode);
        Assert.Contains("scheduled for erasure", issue.Stderr, StringComparison.Ordinal);

        var now = await CliRunner.RunAsync(server, null, "users", "remove", user, "--now");
        Assert.True(now.ExitCode == 0, now.ToString());
        Assert.StartsWith($"Removed user {user}: 1 document(s), 17 byte(s), 1 grant(s).", now.Stdout, StringComparison.Ordinal);
        Assert.Contains("users remove: erasing documents: 1 done", now.Stderr, StringComparison.Ordinal);
        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            Assert.False(await db.AccountDeletions.AnyAsync(d => d.UserName == user));
            Assert.False(await db.Users.AnyAsync(u => u.UserName == user));
        }
    }

    [Fact]
    public async Task Reconcile_prints_its_report_on_stdout_and_its_progress_on_stderr()
    {
        var result = await CliRunner.RunAsync(server, null, "reconcile");
        Assert.True(result.ExitCode == 0, result.ToString());

        // stdout is the report, in the same format as ever, and nothing else.
        var lines = result.Stdout.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("blobs seen: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("orphan blobs (no row, older than ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("rows whose blob is missing: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("usage counters off: ", StringComparison.Ordinal));
        Assert.Contains(lines[^1], new[] { "no drift", "drift found; run with --repair to fix it" });
        Assert.DoesNotContain("reconcile:", result.Stdout, StringComparison.Ordinal);

        // Every stage shows up on stderr, at least when it starts and when it is done.
        Assert.Contains("reconcile: listing blobs...", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^reconcile: listing blobs: \d+ done$", System.Text.RegularExpressions.RegexOptions.Multiline), result.Stderr.ReplaceLineEndings("\n"));
        Assert.Contains("reconcile: checking rows for missing blobs", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("reconcile: checking usage counters...", result.Stderr, StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> PutAsync(string user, string path, string body, string token)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/{path}") { Content = content }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> GetAsync(string user, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{path}").WithToken(token);
        return await server.Client.SendAsync(request);
    }

    /// <summary>Logs in through the real /login form; true when it signs in (302 to /account).</summary>
    private async Task<bool> LogInAsync(string user, string password)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = server.BaseAddress,
        };
        var page = await client.GetStringAsync("/login");
        const string marker = "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"";
        var at = page.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "no antiforgery token on /login");
        at += marker.Length;
        var antiforgery = page[at..page.IndexOf('"', at)];

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = user,
            ["Password"] = password,
            ["__RequestVerificationToken"] = antiforgery,
        });
        using var response = await client.PostAsync("/login", form);
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            Assert.Equal("/account", response.Headers.Location?.OriginalString);
            return true;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return false;
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch, and each run of them costs a server and
// real processes; the storage contract classes cover all three combinations.
public sealed class CliTests_Sqlite(SqliteServerFixture server) : CliTests(server), IClassFixture<SqliteServerFixture>;

public sealed class CliTests_PostgresS3(PostgresS3ServerFixture server) : CliTests(server), IClassFixture<PostgresS3ServerFixture>;
