using System.CommandLine;
using System.Text.RegularExpressions;
using UnhostedStore.Cli;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

/// <summary>
/// The admin command line without a database: help, usage errors and the choice between
/// command and server. Nothing here gets as far as building the application.
/// </summary>
public class CliParsingTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, new CliConsole(new StringReader(string.Empty), stdout, stderr));
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The usage line names the executable (the test host here, UnhostedStore in
    /// production) and then the command.</summary>
    private static void AssertUsageLine(string command, string help) =>
        Assert.Matches(new Regex("^Usage:\\s+\\S+ " + Regex.Escape(command) + "( |$)", RegexOptions.Multiline), help);

    [Theory]
    [InlineData("migrate")]
    [InlineData("users", "add", "list", "set-password", "remove", "set-quota", "invite", "import", "export", "move-in")]
    [InlineData("users add", "<name>", "--admin", "--password-stdin", "--no-password")]
    [InlineData("users list")]
    [InlineData("users set-password", "<name>", "--password-stdin")]
    [InlineData("users remove", "<name>", "--now")]
    [InlineData("users import", "<name>", "--mode")]
    [InlineData("users set-quota", "<name>", "<size|unlimited|default>")]
    [InlineData("users invite")]
    [InlineData("tokens", "issue", "list", "revoke")]
    [InlineData("tokens issue", "<user>", "--scope <scopes>", "--origin <origin>", "--expires <days>")]
    [InlineData("tokens list", "<user>")]
    [InlineData("tokens revoke", "<user>", "--origin <origin>")]
    [InlineData("shares", "create", "list", "revoke")]
    [InlineData("shares create", "<user>", "<path>", "--expires <days>", "--password-stdin")]
    [InlineData("shares list", "<user>")]
    [InlineData("shares revoke", "<user>", "<id-or-url>")]
    [InlineData("reconcile", "--repair", "--grace-minutes <n>")]
    [InlineData("history", "list", "restore", "purge")]
    [InlineData("history list", "<user>", "<path>")]
    [InlineData("history restore", "<user>", "<path>", "--version <id>", "--as-of <time>")]
    [InlineData("history purge", "<user>", "--older-than <days>")]
    [InlineData("settings", "require-2fa", "signup")]
    [InlineData("settings require-2fa", "<on|off>")]
    [InlineData("audit", "list")]
    [InlineData("audit list", "--user <name>", "--kind <k>", "--since <ISO time>")]
    [InlineData("settings signup", "<closed|invite|open>")]
    [InlineData("help")]
    public async Task Help_on_a_command_exits_0_and_prints_its_usage_arguments_and_options_on_stdout(string command, params string[] expected)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            var (exitCode, stdout, stderr) = await RunAsync([.. command.Split(' '), help]);
            Assert.True(exitCode == 0, $"{command} {help}: exit {exitCode}\n{stdout}\n{stderr}");
            Assert.Equal(string.Empty, stderr);
            AssertUsageLine(command, stdout);
            Assert.Contains("--help", stdout, StringComparison.Ordinal);
            Assert.All(expected, e => Assert.Contains(e, stdout, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Help_on_every_command_of_the_tree_names_all_its_options_arguments_and_subcommands()
    {
        var root = CliApp.CreateRoot(new CliConsole(TextReader.Null, TextWriter.Null, TextWriter.Null));
        var commands = new List<(string Path, Command Command)>();
        Collect(root.Subcommands, string.Empty);
        Assert.Equal(30, commands.Count);

        foreach (var (path, command) in commands)
        {
            var (exitCode, stdout, stderr) = await RunAsync([.. path.Split(' '), "--help"]);
            Assert.True(exitCode == 0, $"{path} --help: exit {exitCode}\n{stderr}");
            AssertUsageLine(path, stdout);
            Assert.All(command.Options.Where(o => !o.Hidden), o => Assert.Contains(o.Name, stdout, StringComparison.Ordinal));
            Assert.All(command.Arguments, a => Assert.Contains("<" + (a.HelpName ?? a.Name) + ">", stdout, StringComparison.Ordinal));
            Assert.All(command.Subcommands, c => Assert.Contains(c.Name, stdout, StringComparison.Ordinal));
        }

        void Collect(IEnumerable<Command> level, string prefix)
        {
            foreach (var command in level)
            {
                commands.Add((prefix + command.Name, command));
                Collect(command.Subcommands, prefix + command.Name + " ");
            }
        }
    }

    [Theory]
    [InlineData("--frob", "users", "add", "alice", "--no-password", "--frob")]
    [InlineData("--fix", "reconcile", "--fix")]
    [InlineData("--origin", "tokens", "list", "alice", "--origin", "https://app.example")]
    [InlineData("--admin", "users", "list", "--admin")]
    [InlineData("-x", "users", "remove", "alice", "-x")]
    public async Task An_unknown_option_exits_2_with_the_option_and_the_usage_on_stderr(string option, params string[] args)
    {
        var (exitCode, stdout, stderr) = await RunAsync(args);
        Assert.True(exitCode == 2, $"exit {exitCode}\n{stderr}");
        Assert.Equal(string.Empty, stdout);
        Assert.Contains($"'{option}'", stderr, StringComparison.Ordinal);
        Assert.Contains("Usage:", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Unrecognized command or argument 'frobnicate'.", "frobnicate")]
    [InlineData("Unrecognized command or argument 'frob'.", "users", "frob")]
    [InlineData("'users' needs a command: add, list, set-password, remove, set-quota, invite, import, export, move-in.", "users")]
    [InlineData("'tokens' needs a command: issue, list, revoke.", "tokens")]
    [InlineData("'shares' needs a command: create, list, revoke.", "shares")]
    [InlineData("Required argument missing for command: 'create'.", "shares", "create", "alice")]
    [InlineData("Unrecognized command or argument 'extra'.", "shares", "revoke", "alice", "0123456789abcdef", "extra")]
    [InlineData("'history' needs a command: list, restore, purge.", "history")]
    [InlineData("'history restore' takes --version or --as-of, not both.", "history", "restore", "alice", "/notes/a", "--version", "1", "--as-of", "2026-01-01T00:00:00Z")]
    [InlineData("Required argument missing for command: 'list'.", "history", "list", "alice")]
    [InlineData("Unrecognized command or argument 'bob'.", "users", "remove", "alice", "bob")]
    [InlineData("Unrecognized command or argument 'true'.", "users", "add", "alice", "--admin", "true", "--no-password")]
    [InlineData("Required argument missing for command: 'set-quota'.", "users", "set-quota", "alice")]
    [InlineData("'users add' needs exactly one of --password-stdin and --no-password.", "users", "add", "alice")]
    [InlineData("'users add' needs exactly one of --password-stdin and --no-password.", "users", "add", "alice", "--password-stdin", "--no-password")]
    [InlineData("'users set-password' reads the password from stdin: give --password-stdin.", "users", "set-password", "alice")]
    [InlineData("'tokens issue' needs --scope, e.g. --scope \"notes:rw\".", "tokens", "issue", "alice")]
    [InlineData("'--scope'", "tokens", "issue", "alice", "--scope", "notes:r", "--scope", "notes:rw")]
    [InlineData("'--origin'", "tokens", "revoke", "alice", "--origin")]
    [InlineData("'settings' needs a command: require-2fa, signup.", "settings")]
    [InlineData("'maybe'", "settings", "require-2fa", "maybe")]
    [InlineData("Required argument missing for command: 'require-2fa'.", "settings", "require-2fa")]
    [InlineData("'audit' needs a command: list.", "audit")]
    [InlineData("Unrecognized command or argument 'bob'.", "audit", "list", "bob")]
    [InlineData("'--since'", "audit", "list", "--since")]
    [InlineData("'sometimes'", "settings", "signup", "sometimes")]
    [InlineData("Required argument missing for command: 'signup'.", "settings", "signup")]
    public async Task A_malformed_command_line_exits_2_with_a_message_and_the_usage_on_stderr(string message, params string[] args)
    {
        var (exitCode, stdout, stderr) = await RunAsync(args);
        Assert.True(exitCode == 2, $"exit {exitCode}\n{stderr}");
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains(CliApp.Usage, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_help_command_prints_the_usage_of_all_commands_on_stdout_and_exits_2()
    {
        var (exitCode, stdout, stderr) = await RunAsync("help");
        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, stderr);
        Assert.Equal(CliApp.Usage + Environment.NewLine, stdout);
        Assert.Contains("tokens issue", stdout, StringComparison.Ordinal);
        Assert.Contains("<command> --help", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "users", "list")]
    [InlineData(true, "migrate", "DataDirectory=/srv")]
    [InlineData(true, "frobnicate")]
    [InlineData(false)]
    [InlineData(false, "")]
    [InlineData(false, "--urls", "http://127.0.0.1:8080")]
    [InlineData(false, "DataDirectory=/srv")]
    [InlineData(false, "/DataDirectory=/srv")]
    [InlineData(false, "--help")]
    public void A_bare_first_word_is_a_command_and_anything_else_starts_the_server(bool isCommand, params string[] args)
    {
        Assert.Equal(isCommand, CliApp.IsCommand(args));
    }

    [Fact]
    public void Progress_shows_each_stage_first_and_last_report_and_throttles_those_in_between()
    {
        using var stderr = new StringWriter();
        var progress = new ProgressLines(stderr, "reconcile");
        progress.Report(new ReconcileProgress("listing blobs", 0, null));
        progress.Report(new ReconcileProgress("listing blobs", 500, null));
        progress.Report(new ReconcileProgress("listing blobs", 1000, null));
        progress.Report(new ReconcileProgress("listing blobs", 1234, 1234));
        progress.Report(new ReconcileProgress("checking rows for missing blobs", 0, 3));
        progress.Report(new ReconcileProgress("checking rows for missing blobs", 1, 3));
        progress.Report(new ReconcileProgress("checking rows for missing blobs", 3, 3));
        progress.Report(new ReconcileProgress("checking usage counters", 0, null));
        progress.Report(new ReconcileProgress("checking usage counters", 0, 0));

        // The reports in between come well within a second of the stage's first, so none shows.
        Assert.Equal(
            [
                "reconcile: listing blobs...",
                "reconcile: listing blobs: 1234 done",
                "reconcile: checking rows for missing blobs (3)...",
                "reconcile: checking rows for missing blobs: 3 done",
                "reconcile: checking usage counters...",
                "reconcile: checking usage counters: 0 done",
            ],
            stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
