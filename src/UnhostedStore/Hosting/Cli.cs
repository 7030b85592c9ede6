using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Hosting;

/// <summary>
/// Admin commands on the same executable, reading the same configuration as the server
/// (appsettings.json, environment variables). The first argument decides: a bare word is a
/// command; anything else (<c>--urls …</c>, <c>Key=Value</c>) starts the server.
/// </summary>
public static class Cli
{
    public const string Usage = """
        Usage: UnhostedStore <command> [arguments]

        Without a command the server starts. Commands read the same configuration as the server
        (appsettings.json and environment variables such as DataDirectory, ConnectionStrings__Postgres).

          migrate                                        apply pending database migrations
          users add <name> [--admin] (--password-stdin | --no-password)
                                                         create an account; the password is the first line of stdin
          users list                                     accounts with admin flag, creation time and storage use
          users set-password <name> --password-stdin     replace the password (first line of stdin)
          users remove <name>                            delete the account, its grants, tokens and documents
          users invite                                   print a one-time sign-up link (valid 7 days;
                                                         needs Accounts:Signup=Invite)
          tokens issue <user> --scope "<scopes>" [--origin <origin>] [--expires <days>]
                                                         grant an app access and print only its token;
                                                         origin defaults to https://operator.invalid,
                                                         no --expires (or 0) means until revoked
          tokens list <user>                             the user's grants: origin, scopes, granted, expires
          tokens revoke <user> [--origin <origin>]       revoke all grants of the user, or one app's
          users set-quota <name> <size|unlimited|default>
                                                         per-user storage quota, e.g. 500M, 10G, 1T or bytes;
                                                         "default" follows Storage:DefaultQuotaBytes
          reconcile [--repair] [--grace-minutes <n>]     report drift between metadata and blobs (blobs no row
                                                         references, rows whose blob is missing, usage counters)
                                                         and with --repair fix it; blobs younger than the grace
                                                         (default Blobs:OrphanGraceMinutes) count as in flight
          help                                           this text

        Exit codes: 0 done, 1 error (message on stderr), 2 usage error.
        """;

    public static bool IsCommand(string[] args) =>
        args.Length > 0 && args[0].Length > 0 && args[0][0] is not ('-' or '/') && !args[0].Contains('=', StringComparison.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            switch (args[0])
            {
                case "migrate":
                    {
                        var builder = WebApplication.CreateBuilder(args[1..]);
                        ConfigureLogging(builder);
                        AppHost.ConfigureServices(builder);
                        await using var app = builder.Build();
                        await PersistenceServices.MigrateAsync(app.Services, CancellationToken.None);
                        await Console.Out.WriteLineAsync("Migrations applied.");
                        return 0;
                    }

                case "users" or "tokens" or "reconcile":
                    {
                        // Parse first: a usage error needs no database.
                        var command = CliArguments.Parse(args);
                        await using var app = BuildApp();
                        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
                        {
                            // So that `users add` works on a fresh install before the server ever ran.
                            await PersistenceServices.MigrateAsync(app.Services, CancellationToken.None);
                        }

                        await using var scope = app.Services.CreateAsyncScope();
                        return await new CliCommands(scope.ServiceProvider, Console.In, Console.Out).RunAsync(command, CancellationToken.None);
                    }

                case "help" or "--help" or "-h":
                    await Console.Out.WriteLineAsync(Usage);
                    return 2;

                default:
                    throw new CliUsageException($"Unknown command '{args[0]}'.");
            }
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync();
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or IOException or System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            // An operator wants the reason, not a stack trace (bad settings, database unreachable).
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
    }

    /// <summary>The server's services and request pipeline (OperatorTokens runs one token
    /// request through it in-process), without Kestrel: nothing listens, no hosted service runs.</summary>
    private static WebApplication BuildApp()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder);
        AppHost.ConfigureServices(builder);
        var app = builder.Build();
        AppHost.ConfigurePipeline(app);
        return app;
    }

    /// <summary>stdout carries only the command's output (e.g. just the token); logs go to
    /// stderr, warnings and errors only, whatever the Logging section says.</summary>
    private static void ConfigureLogging(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.PostConfigure<LoggerFilterOptions>(o =>
        {
            o.Rules.Clear();
            o.MinLevel = LogLevel.Warning;

            // A missing wwwroot does not matter to a command.
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.AspNetCore.StaticFiles", LogLevel.Error, null));

            // EF logs its probe of a migrations history table that does not exist yet as an
            // error on a fresh database; that is expected, not news for the operator.
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None, null));
        });
    }
}

/// <summary>A mistake of the operator's (unknown user, invalid scope …): message, exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>A malformed command line: message and usage text, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// A parsed command line: <c>group verb positional… --option value --flag</c>. Each command
/// declares its options; anything undeclared is a usage error.
/// </summary>
public sealed class CliArguments
{
    private static readonly Dictionary<string, (int Positionals, string[] Flags, string[] Options)> Commands = new(StringComparer.Ordinal)
    {
        ["users add"] = (1, ["--admin", "--password-stdin", "--no-password"], []),
        ["users list"] = (0, [], []),
        ["users set-password"] = (1, ["--password-stdin"], []),
        ["users remove"] = (1, [], []),
        ["tokens issue"] = (1, [], ["--scope", "--origin", "--expires"]),
        ["tokens list"] = (1, [], []),
        ["tokens revoke"] = (1, [], ["--origin"]),
        ["users set-quota"] = (2, [], []),
        ["reconcile"] = (0, ["--repair"], ["--grace-minutes"]),
        ["users invite"] = (0, [], []),
    };

    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    private CliArguments(string name, IReadOnlyList<string> positionals)
    {
        Name = name;
        Positionals = positionals;
    }

    /// <summary>"users add", "tokens issue", …</summary>
    public string Name { get; }

    public IReadOnlyList<string> Positionals { get; }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Option(string name) => _options.GetValueOrDefault(name);

    public static CliArguments Parse(string[] args)
    {
        // One-word commands ("reconcile") and group commands ("users add").
        var single = Commands.ContainsKey(args[0]);
        if (!single && args.Length < 2)
        {
            throw new CliUsageException($"'{args[0]}' needs a subcommand.");
        }

        var name = single ? args[0] : args[0] + " " + args[1];
        if (!Commands.TryGetValue(name, out var spec))
        {
            throw new CliUsageException($"Unknown command '{name}'.");
        }

        var positionals = new List<string>();
        var parsed = new CliArguments(name, positionals);
        for (var i = single ? 1 : 2; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positionals.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? arg : arg[..eq];
            if (spec.Flags.Contains(key) && eq < 0)
            {
                parsed._flags.Add(key);
            }
            else if (spec.Options.Contains(key))
            {
                string value;
                if (eq >= 0)
                {
                    value = arg[(eq + 1)..];
                }
                else if (i + 1 < args.Length)
                {
                    value = args[++i];
                }
                else
                {
                    throw new CliUsageException($"{key} needs a value.");
                }

                if (!parsed._options.TryAdd(key, value))
                {
                    throw new CliUsageException($"{key} is given twice.");
                }
            }
            else
            {
                throw new CliUsageException($"'{name}' has no option {key}.");
            }
        }

        if (positionals.Count != spec.Positionals)
        {
            throw new CliUsageException(spec.Positionals == 0
                ? $"'{name}' takes no arguments."
                : $"'{name}' takes {spec.Positionals} argument(s); got {positionals.Count}.");
        }

        return parsed;
    }
}
