using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Cli;

/// <summary>
/// How the CLI answers mistakes and asks for help: exit codes, messages and usage. Its parsing
/// and checks come before any storage, so one backend proves them (the embedded default).
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

        var unknown = await CliRunner.RunAsync(server, null, "frobnicate");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("Usage:", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("tokens issue", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_executable_prints_a_commands_help_with_exit_0_and_refuses_an_unknown_option_with_exit_2()
    {
        var help = await CliRunner.RunAsync(server, null, "users", "add", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("UnhostedStore users add <name> [options]", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--password-stdin", help.Stdout, StringComparison.Ordinal);

        var unknown = await CliRunner.RunAsync(server, null, "users", "list", "--frob");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Equal(string.Empty, unknown.Stdout);
        Assert.Contains("'--frob'", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("Usage:", unknown.Stderr, StringComparison.Ordinal);
    }
}
