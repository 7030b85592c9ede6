using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using UnhostedStore.Accounts.KeyRing;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.MultiInstance;

/// <summary>
/// The proof that several instances can run behind one proxy: two server processes share
/// only PostgreSQL and S3 (<see cref="PostgresS3TwoInstancesFixture"/>). Logins, consent forms
/// and tokens made on one are accepted by the other; a revocation on one is seen by the other at
/// the next request; conditional writes through both have one winner; a restarted instance logs
/// nobody out. (The storage contract suites also run against this fixture, every request
/// alternating between A and B: the <c>*_TwoInstances</c> classes.)
/// </summary>
public sealed class TwoInstanceTests(PostgresS3TwoInstancesFixture server) : IClassFixture<PostgresS3TwoInstancesFixture>
{
    private const string App = "https://app.example";

    [Fact]
    public async Task A_token_from_the_oauth_flow_started_on_A_and_allowed_on_B_works_on_both()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);

        // Log in and open the consent page on A …
        using var onA = new Browser(server, server.A.BaseAddress, new CookieContainer());
        await onA.LoginAsync(user, AccountTestHelpers.Password);
        var consent = await onA.GetPageAsync($"/oauth/authorize?client_id={Uri.EscapeDataString(App)}&redirect_uri={Uri.EscapeDataString(App + "/")}&response_type=token&scope=notes%3Arw&state=s1");

        // … and press Allow on B: B must accept A's login cookie and A's antiforgery token.
        using var onB = new Browser(server, server.B.BaseAddress, onA.Cookies);
        using var allowed = await onB.SubmitAsync(consent, "id=\"allow\"", ("decision", "allow"), ("lifetime", "1"));
        Assert.Equal(HttpStatusCode.Redirect, allowed.StatusCode);
        var location = allowed.Headers.Location!.ToString();
        Assert.StartsWith(App + "/#", location, StringComparison.Ordinal);
        var token = Fragment(location)["access_token"];

        foreach (var instance in new[] { server.A, server.B })
        {
            using var http = new HttpClient { BaseAddress = instance.BaseAddress };
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/from-{instance.BaseAddress.Port}") { Content = new StringContent("x") }.WithToken(token);
            using var response = await http.SendAsync(put);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT on {instance.BaseAddress}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Requests_of_the_contract_clients_really_alternate_between_the_two_processes()
    {
        var user = new Storage.StorageTestUser(server);
        var before = server.RequestsSent.ToArray();
        var etag = await user.PutOkAsync("/notes/alternating", "one");
        using var get = await user.GetAsync("/notes/alternating");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(etag, get.Headers.ETag?.Tag);
        Assert.Equal(before[0] + 1, server.RequestsSent[0]);
        Assert.Equal(before[1] + 1, server.RequestsSent[1]);
        Assert.NotEqual(server.A.BaseAddress, server.B.BaseAddress);
        Assert.NotEqual(server.InProcessAddress.Port, server.A.BaseAddress.Port);
        Assert.NotEqual(server.InProcessAddress.Port, server.B.BaseAddress.Port);
    }

    [Fact]
    public async Task A_revocation_on_As_account_page_refuses_the_token_on_B_at_the_next_request()
    {
        var (user, browser) = await LoggedInOnAsync(server.A.BaseAddress);
        using var _ = browser;
        var issued = await Browser.IssueAsync(server, user, App, 1, "notes:rw");
        using var onB = new HttpClient { BaseAddress = server.B.BaseAddress };
        Assert.Equal(HttpStatusCode.Created, await PutAsync(onB, user, issued.AccessToken, "/notes/before"));

        var page = await browser.GetPageAsync("/account");
        using var revoke = await browser.SubmitAsync(page, $"value=\"{issued.AuthorizationId}\"");
        Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await PutAsync(onB, user, issued.AccessToken, "/notes/after"));
    }

    [Fact]
    public async Task Thirty_two_puts_with_one_if_match_split_over_A_and_B_have_exactly_one_winner()
    {
        var user = new Storage.StorageTestUser(server);
        var etag = await user.PutOkAsync("/notes/contended", "v0");
        using var a = new HttpClient { BaseAddress = server.A.BaseAddress };
        using var b = new HttpClient { BaseAddress = server.B.BaseAddress };
        using var gate = new ManualResetEventSlim();
        var puts = Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            gate.Wait();
            using var request = new HttpRequestMessage(HttpMethod.Put, user.Url("/notes/contended")) { Content = new StringContent("v" + i) }.WithToken(user.Token);
            request.Headers.TryAddWithoutValidation("If-Match", etag);
            using var response = await (i % 2 == 0 ? a : b).SendAsync(request);
            return (i, response.StatusCode);
        })).ToList();
        gate.Set();
        var results = await Task.WhenAll(puts);

        var winners = results.Where(r => (int)r.StatusCode is >= 200 and < 300).ToList();
        Assert.Single(winners);
        Assert.All(results.Except(winners), r => Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode));
        using var get = await user.GetAsync("/notes/contended");
        Assert.Equal("v" + winners[0].i, await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Restarting_an_instance_logs_nobody_out_its_old_cookie_and_token_still_work()
    {
        var (user, browser) = await LoggedInOnAsync(server.B.BaseAddress);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        using (var before = new HttpClient { BaseAddress = server.B.BaseAddress })
        {
            Assert.Equal(HttpStatusCode.Created, await PutAsync(before, user, token, "/notes/before-restart"));
        }

        var restarted = await server.RestartAsync(1);

        using var after = new Browser(server, restarted.BaseAddress, browser.Cookies);
        var page = await after.GetPageAsync("/account");
        Assert.Contains(user, page, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = restarted.BaseAddress };
        Assert.Equal(HttpStatusCode.Created, await PutAsync(http, user, token, "/notes/after-restart"));
    }

    [Fact]
    public async Task Three_instances_starting_together_on_a_fresh_database_apply_each_migration_once_and_agree_on_keys()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var dirs = Enumerable.Range(0, 3).Select(i => Path.Combine(Path.GetTempPath(), $"us-test-m{i}-" + Guid.NewGuid().ToString("N"))).ToList();
        var environments = dirs.Select(dir =>
        {
            Directory.CreateDirectory(dir);
            return new Dictionary<string, string> { ["DataDirectory"] = dir, ["ConnectionStrings__Postgres"] = database };
        }).ToList();
        var starts = environments.Select(env => ServerProcess.StartAsync(env)).ToList();
        try
        {
            var instances = await Task.WhenAll(starts);

            await using (var conn = new NpgsqlConnection(database))
            {
                await conn.OpenAsync();
                await using var history = new NpgsqlCommand("""SELECT "MigrationId", count(*) FROM "__EFMigrationsHistory" GROUP BY "MigrationId" """, conn);
                var applied = new Dictionary<string, long>(StringComparer.Ordinal);
                await using (var reader = await history.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        applied[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }

                await using var context = new PostgresStorageDbContext(new DbContextOptionsBuilder<PostgresStorageDbContext>().UseNpgsql(database).Options);
                Assert.Equal(context.Database.GetMigrations().Order(StringComparer.Ordinal), applied.Keys.Order(StringComparer.Ordinal));
                Assert.All(applied, m => Assert.Equal(1, m.Value));

                await using var keys = new NpgsqlCommand("""SELECT count(*) FROM "ServerKeys" """, conn);
                Assert.Equal(3L, await keys.ExecuteScalarAsync());
            }

            // A token the CLI mints against that database works on all three instances.
            var user = ServerFixture.NewUser();
            await CliAsync(environments[0], "users", "add", user, "--no-password");
            var token = (await CliAsync(environments[0], "tokens", "issue", user, "--scope", "notes:rw")).Trim().Split('\n')[0].Trim();
            foreach (var instance in instances)
            {
                using var http = new HttpClient { BaseAddress = instance.BaseAddress };
                Assert.Equal(HttpStatusCode.Created, await PutAsync(http, user, token, "/notes/" + instance.BaseAddress.Port));
            }
        }
        finally
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await (await start).DisposeAsync();
            }

            foreach (var dir in dirs)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Three_instances_starting_together_on_one_fresh_sqlite_file_apply_each_migration_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), "us-test-sqlite-m-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var starts = Enumerable.Range(0, 3).Select(_ => ServerProcess.StartAsync(new Dictionary<string, string> { ["DataDirectory"] = dir })).ToList();
        try
        {
            await Task.WhenAll(starts);
            var applied = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var conn = new SqliteConnection($"Data Source={Path.Combine(dir, "unhostedstore.db")};Pooling=false"))
            {
                await conn.OpenAsync();
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = """SELECT "MigrationId", count(*) FROM "__EFMigrationsHistory" GROUP BY "MigrationId" """;
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    applied[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            await using var context = new SqliteStorageDbContext(new DbContextOptionsBuilder<SqliteStorageDbContext>().UseSqlite("Data Source=:memory:").Options);
            Assert.Equal(context.Database.GetMigrations().Order(StringComparer.Ordinal), applied.Keys.Order(StringComparer.Ordinal));
            Assert.All(applied, m => Assert.Equal(1, m.Value));
        }
        finally
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await (await start).DisposeAsync();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Keys_an_older_version_kept_in_oauth_keys_json_are_imported_into_the_database_by_the_cli()
    {
        var dir = Path.Combine(Path.GetTempPath(), "us-test-legacy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "keys"));
        try
        {
            var legacy = OAuthKeys.Generate();
            await File.WriteAllTextAsync(Path.Combine(dir, "keys", "oauth-keys.json"), JsonSerializer.Serialize(new
            {
                Signing = legacy[OAuthKeys.SigningName],
                Encryption = legacy[OAuthKeys.EncryptionName],
                Ecdsa = legacy[OAuthKeys.EcdsaName],
            }));
            var env = new Dictionary<string, string> { ["DataDirectory"] = dir };
            var user = ServerFixture.NewUser();
            await CliAsync(env, "users", "add", user, "--no-password");
            var output = await CliAsync(env, "tokens", "issue", user, "--scope", "notes:rw");
            Assert.False(string.IsNullOrWhiteSpace(output));

            var stored = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var conn = new SqliteConnection($"Data Source={Path.Combine(dir, "unhostedstore.db")};Pooling=false"))
            {
                await conn.OpenAsync();
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = """SELECT "Name", "Value" FROM "ServerKeys" """;
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    stored[reader.GetString(0)] = reader.GetString(1);
                }
            }

            // Stored encrypted (never the file's clear values), and they open to exactly those.
            Assert.Equal(legacy.Keys.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
            Assert.All(stored, kv => Assert.False(SecretSeal.IsClear(kv.Value)));
            Assert.All(stored, kv => Assert.DoesNotContain(legacy[kv.Key], kv.Value, StringComparison.Ordinal));
            var seal = SecretSeal.WithKeyFile(KeyFileSecret.Read(Path.Combine(dir, KeyFileSecret.DefaultFileName)));
            Assert.All(stored, kv => Assert.Equal(legacy[kv.Key], seal.Open(kv.Key, kv.Value)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task<(string User, Browser Browser)> LoggedInOnAsync(Uri instance)
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, AccountTestHelpers.Password);
        var browser = new Browser(server, instance, new CookieContainer());
        await browser.LoginAsync(user, AccountTestHelpers.Password);
        return (user, browser);
    }

    private static async Task<HttpStatusCode> PutAsync(HttpClient http, string user, string token, string path)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("x"));
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static Dictionary<string, string> Fragment(string location) =>
        location[(location.IndexOf('#', StringComparison.Ordinal) + 1)..].Split('&')
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);

    /// <summary>The admin CLI as a process, on the given settings; its output (stdout first).</summary>
    private static Task<string> CliAsync(Dictionary<string, string> settings, params string[] args) => Shell.RunCheckedAsync(
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
        ["exec", Path.Combine(AppContext.BaseDirectory, "UnhostedStore.dll"), .. args],
        new Dictionary<string, string>(settings, StringComparer.Ordinal) { ["DOTNET_ENVIRONMENT"] = "Testing", ["ASPNETCORE_ENVIRONMENT"] = "Testing" });
}
