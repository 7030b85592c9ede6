using System.CommandLine;
using System.CommandLine.Invocation;
using Microsoft.Extensions.Options;

namespace UnhostedStore.Cli;

/// <summary>
/// Admin commands on the same executable, reading the same configuration as the server
/// (appsettings.json, environment variables). The first argument decides: a bare word is a
/// command; anything else (<c>--urls …</c>, <c>Key=Value</c>) starts the server.
/// </summary>
public static class CliApp
{
    public const string Usage = """
        Usage: UnhostedStore <command> [arguments]

        Without a command the server starts. Commands read the same configuration as the server
        (appsettings.json and environment variables such as DataDirectory, ConnectionStrings__Postgres).

          migrate [<Key>=<Value> ...]                    apply pending database migrations; settings may follow,
                                                         as for the server (DataDirectory=..., --ConnectionStrings:Postgres=...)
          users add <name> [--admin] (--password-stdin | --no-password)
                                                         create an account; the password is the first line of stdin
          users list                                     accounts with admin flag, creation time and storage use
          users set-password <name> --password-stdin     replace the password (first line of stdin)
          users remove <name> [--now]                    disable the account at once and erase it after
                                                         Accounts:DeletionGraceDays (cancellable by logging in);
                                                         --now erases at once
          users export <name> --output <file.zip> [--module <m>]
                                                         the user's storage (or one module) as a zip in rs-backup's
                                                         layout; progress goes to stderr
          users invite                                   print a one-time sign-up link (valid 7 days;
                                                         needs sign-up by invitation: settings signup invite)
          tokens issue <user> --scope "<scopes>" [--origin <origin>] [--expires <days>]
                                                         grant an app access and print only its token;
                                                         origin defaults to https://operator.invalid,
                                                         no --expires (or 0) means until revoked
          tokens list <user>                             the user's grants: origin, scopes, granted, expires
          tokens revoke <user> [--origin <origin>]       revoke all grants of the user, or one app's
          shares create <user> <path> [--expires <days>] [--password-stdin]
                                                         share a document or a folder (path ending in /) read-only
                                                         and print only its URL; no --expires (or 0) means until
                                                         revoked; the password is the first line of stdin
          shares list <user>                             the user's share links: id, created, ends, state, opens, path
          shares revoke <user> <id-or-url>               turn a link off (410 from the next request on)
          users set-quota <name> <size|unlimited|default>
                                                         per-user storage quota, e.g. 500M, 10G, 1T or bytes;
                                                         "default" follows Storage:DefaultQuotaBytes
          reconcile [--repair] [--grace-minutes <n>]     report drift between metadata and blobs (blobs no row
                                                         references, rows whose blob is missing, usage counters)
                                                         and with --repair fix it; blobs younger than the grace
                                                         (default Blobs:OrphanGraceMinutes) count as in flight;
                                                         progress goes to stderr
          users import <name> <file.zip|directory> [--mode skip|overwrite|newer]
                                                         import our export or an rs-backup backup; the
                                                         report goes to stdout, progress to stderr
          history list <user> <path>                     a document's versions (newest first), or for a
                                                         folder (ending in /) the deleted documents under it
          history restore <user> <path> [--version <id> | --as-of <time>]
                                                         restore a document (its newest retained version, or
                                                         --version, or --as-of) or a folder as it was at an
                                                         ISO-8601 time, and print what changed
          history purge <user> [--older-than <days>]     delete the user's history and trash for good
          settings require-2fa on|off                    require two-step verification (authenticator app or
                                                         passkey) for every account, or not; kept in the
                                                         database, so every instance follows it
          audit list [--user <name>] [--kind <k>] [--since <ISO time>]
                                                         the audit log, newest first (sign-ins, security changes,
                                                         apps, shares, history, deletions, admin actions); --kind
                                                         is a kind (login.failed) or a category (login, security,
                                                         apps, sharing, history, data, account, admin)
          settings signup closed|invite|open             who may create an account: only admins, people with
                                                         an invite link, or anyone; kept in the database
                                                         (Accounts:Signup is only the first value)
          help                                           this text
          <command> --help                               a command's arguments and options (also -h)

        Exit codes: 0 done, 1 error (message on stderr), 2 usage error.
        """;

    public static bool IsCommand(string[] args) =>
        args.Length > 0 && args[0].Length > 0 && args[0][0] is not ('-' or '/') && !args[0].Contains('=', StringComparison.Ordinal);

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CliConsole.System);

    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        // No response files: "@name" is an ordinary argument here, as it always was.
        var parse = CreateRoot(console).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        try
        {
            if (parse.Action is ParseErrorAction)
            {
                throw new CliUsageException(string.Join(Environment.NewLine, parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal)));
            }

            return await parse.InvokeAsync(
                new InvocationConfiguration
                {
                    Output = console.Out,
                    Error = console.Error,

                    // Errors are reported below, as one line without a stack trace.
                    EnableDefaultExceptionHandler = false,

                    // Ctrl+C ends a command at once, as it always did, instead of cancelling it
                    // and waiting: nothing a command does is left half-done by that (writes are
                    // transactions; a half-deleted blob set is what reconcile cleans up).
                    ProcessTerminationTimeout = null,
                },
                CancellationToken.None);
        }
        catch (CliUsageException e)
        {
            await console.Error.WriteLineAsync(e.Message);
            await console.Error.WriteLineAsync();
            await console.Error.WriteLineAsync(Usage);
            return 2;
        }
        catch (CliException e)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or IOException or System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            // An operator wants the reason, not a stack trace (bad settings, database unreachable).
            await console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
    }

    /// <summary>The command tree. Every command and group gets <c>--help</c>/<c>-h</c> from
    /// the root's recursive help option.</summary>
    internal static RootCommand CreateRoot(CliConsole console)
    {
        var help = new Command("help", "Print the usage of all commands.")
        {
            // Words after `help` never mattered; they still do not.
            TreatUnmatchedTokensAsErrors = false,
        };

        // The usage text goes to stdout here, but the exit code stays 2, as it always was:
        // `help` did not do what a script meant to run.
        help.SetAction(async (_, _) =>
        {
            await console.Out.WriteLineAsync(Usage);
            return 2;
        });

        var root = new RootCommand("UnhostedStore: a remoteStorage server. Without a command the server starts; commands are admin tasks on the same configuration.")
        {
            MaintenanceCommands.Migrate(console),
            UserCommands.Create(console),
            TokenCommands.Create(console),
            ShareCommands.Create(console),
            MaintenanceCommands.Reconcile(console),
            HistoryCommands.Create(console),
            SettingsCommands.Create(console),
            AuditCommands.Create(console),
            help,
        };
        NeedsSubcommand(root);
        return root;
    }

    /// <summary>
    /// A group named without one of its commands (<c>users</c>) is a usage error that names
    /// the choices; without an action of its own the parser would report only "Required
    /// command was not provided", and an unknown word twice over.
    /// </summary>
    private static void NeedsSubcommand(Command group)
    {
        if (group.Subcommands.Count == 0)
        {
            return;
        }

        var name = group is RootCommand ? "UnhostedStore" : group.Name;
        var choices = string.Join(", ", group.Subcommands.Select(c => c.Name));
        group.SetAction(int (_) => throw new CliUsageException($"'{name}' needs a command: {choices}."));
        foreach (var sub in group.Subcommands)
        {
            NeedsSubcommand(sub);
        }
    }
}
