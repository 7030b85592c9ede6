using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Cli;

/// <summary>
/// How the executable answers mistakes (exit 1 and a message with no stack trace, through its own
/// entry point) and, as a real process configured by its environment: an unknown command or
/// option (exit 2 and the usage), help, settings after <c>migrate</c>, and a token it
/// issues and revokes that the running server follows at once (on SQLite through the revocation
/// counter in the database, which is how another process's change reaches the server's cache).
/// Its parsing and checks come before any storage, so one backend proves them (the embedded
/// default); the commands' work on every deployment is in <see cref="CliTests"/>.
/// </summary>
public sealed class CliUsageTests(SqliteServerFixture server) : IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task Mistakes_exit_with_1_and_a_message_and_unknown_commands_with_2_and_the_usage()
    {
        var user = ServerFixture.NewUser();
        await using (var scope = server.CreateScope())
        {
            await TestTokens.EnsureAccountAsync(scope.ServiceProvider, user);
        }

        var cases = new (string[] Args, string Message)[]
        {
            (["tokens", "issue", "nobody-" + user, "--scope", "notes:r"], "no user"),
            (["tokens", "issue", user, "--scope", "Notes:RW!"], "not a valid scope"),
            (["tokens", "issue", user, "--scope", "notes:r", "--origin", "http://app.example"], "not a valid origin"),
            (["users", "add", "Not Valid", "--no-password"], "not a valid user name"),
            (["users", "invite"], "only with Accounts:Signup=Invite"),
        };
        // Through the executable's own entry point in this process: the messages are the
        // commands' own checks, and the exit code of a real process is proven below.
        foreach (var (args, message) in cases)
        {
            var result = await CliRunner.RunAsync(server, null, args);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Equal(string.Empty, result.Stdout);
            Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        }

        // None of the refused issues left a grant behind.
        await using (var scope = server.CreateScope())
        {
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None));
        }

        var unknown = await CliRunner.RunProcessAsync(server, null, "frobnicate");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("Usage:", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("tokens issue", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_executable_prints_a_commands_help_with_exit_0_and_refuses_an_unknown_option_with_exit_2()
    {
        var help = await CliRunner.RunProcessAsync(server, null, "users", "add", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("UnhostedStore users add <name> [options]", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--password-stdin", help.Stdout, StringComparison.Ordinal);

        var unknown = await CliRunner.RunProcessAsync(server, null, "users", "list", "--frob");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Equal(string.Empty, unknown.Stdout);
        Assert.Contains("'--frob'", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("Usage:", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_the_executable_issues_works_on_the_server_until_the_executable_revokes_it()
    {
        var user = ServerFixture.NewUser();
        await using (var scope = server.CreateScope())
        {
            await TestTokens.EnsureAccountAsync(scope.ServiceProvider, user);
        }

        var issue = await CliRunner.RunProcessAsync(server, null, "tokens", "issue", user, "--scope", "notes:rw", "--origin", "https://app.example");
        Assert.True(issue.ExitCode == 0, issue.ToString());
        var token = issue.Stdout.TrimEnd('\n', '\r');
        using var client = server.NewClient();
        Assert.Equal(HttpStatusCode.Created, await PutAsync(client, user, token));

        var revoke = await CliRunner.RunProcessAsync(server, null, "tokens", "revoke", user, "--origin", "https://app.example");
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, await PutAsync(client, user, token));
    }

    [Fact]
    public async Task Migrate_takes_settings_after_the_command_as_the_server_does_and_they_win_over_the_environment()
    {
        var root = Path.Combine(Path.GetTempPath(), "unhostedstore-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            // The environment points at the fixture's database; the settings on the command line
            // (an empty Postgres connection string selects SQLite) send migrate elsewhere.
            string[][] forms =
            [
                ["--ConnectionStrings:Postgres=", "DataDirectory=" + Path.Combine(root, "a")],
                ["--ConnectionStrings:Postgres=", "--DataDirectory=" + Path.Combine(root, "b")],
                ["--ConnectionStrings:Postgres", string.Empty, "--DataDirectory", Path.Combine(root, "c")],
            ];
            // The first as a real process, over its environment; the other two forms through
            // the same entry point in this process, over the same settings.
            foreach (var (settings, dir) in forms.Zip(["a", "b", "c"]))
            {
                var result = dir == "a"
                    ? await CliRunner.RunProcessAsync(server, null, ["migrate", .. settings])
                    : await CliRunner.RunAsync(server, null, ["migrate", .. settings]);
                Assert.True(result.ExitCode == 0, result.ToString());
                Assert.Equal("Migrations applied." + Environment.NewLine, result.Stdout);
                Assert.True(File.Exists(Path.Combine(root, dir, "unhostedstore.db")), result.ToString());
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task<HttpStatusCode> PutAsync(HttpClient client, string user, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/from-the-executable")
        {
            Content = new StringContent("written with a token from the executable"),
        }.WithToken(token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
