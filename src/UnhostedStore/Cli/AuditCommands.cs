using System.CommandLine;
using System.Globalization;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary>The <c>audit</c> commands: the audit log, newest first; and how every other command
/// records what it changed (actor <c>cli</c>).</summary>
internal static class AuditCommands
{
    /// <summary>Rows <c>audit list</c> prints at most.</summary>
    public const int MaxRows = AuditLog.MaxPageSize;

    public static Command Create(CliConsole console) => new("audit", "The audit log: sign-ins, security changes, apps, deletions and admin actions.")
    {
        ListCommand(console),
    };

    /// <summary>Records an operator's command in the audit log, about <paramref name="user"/>'s
    /// account (or none).</summary>
    public static Task RecordAsync(IServiceProvider services, AuditKind kind, string? user, string detail) =>
        services.GetRequiredService<AuditTrail>().RecordAsync(kind, user, AuditActor.CommandLine, detail);

    private static Command ListCommand(CliConsole console)
    {
        var user = new Option<string?>("--user") { HelpName = "name", Description = "Only events about this account." };
        var kind = new Option<string?>("--kind")
        {
            HelpName = "k",
            Description = "Only this kind (e.g. login.failed) or category: " + string.Join(", ", AuditWords.Categories.Select(c => c.Code)) + ".",
        };
        var since = new Option<string?>("--since") { HelpName = "ISO time", Description = "Only events at or after this ISO-8601 time, e.g. 2026-12-01T00:00:00Z." };
        var command = new Command("list", $"Print events, newest first (at most {MaxRows}): time, kind, account, actor, address, browser, detail.") { user, kind, since };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => ListAsync(services, console, parse.GetValue(user), parse.GetValue(kind), parse.GetValue(since), ct),
            ct));
        return command;
    }

    private static async Task<int> ListAsync(IServiceProvider services, CliConsole console, string? user, string? kindText, string? sinceText, CancellationToken ct)
    {
        IReadOnlyList<AuditKind>? kinds = null;
        if (kindText is not null)
        {
            kinds = AuditWords.KindsFor(kindText)
                ?? throw new CliException($"'{kindText}' is not a kind or category of events. Categories: {string.Join(", ", AuditWords.Categories.Select(c => c.Code))}; kinds: {string.Join(", ", AuditKinds.All.Select(AuditKinds.Code))}.");
        }

        DateTime? since = null;
        if (sinceText is not null)
        {
            since = DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time.UtcDateTime
                : throw new CliException("--since takes an ISO-8601 time, e.g. 2026-12-01T00:00:00Z.");
        }

        var page = await services.GetRequiredService<AuditLog>().ListAsync(new AuditFilter(UserName: user?.Trim(), Kinds: kinds, FromUtc: since), 0, MaxRows, ct);
        if (page.Events.Count == 0)
        {
            await console.Out.WriteLineAsync("No events.");
            return 0;
        }

        var rows = new List<string[]> { new[] { "TIME (UTC)", "KIND", "USER", "ACTOR", "IP", "BROWSER", "DETAIL" } };
        rows.AddRange(page.Events.Select(e => new[]
        {
            e.TimeUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            AuditKinds.Code(e.Kind),
            e.UserName ?? "-",
            e.Actor,
            e.Ip ?? "-",
            e.UserAgent is null ? "-" : BrowserNames.Describe(e.UserAgent),
            e.Detail ?? "-",
        }));
        await CliShared.WriteTableAsync(console.Out, rows);
        if (page.HasOlder)
        {
            await console.Error.WriteLineAsync($"audit list: only the newest {MaxRows} events are shown; narrow with --user, --kind or --since.");
        }

        return 0;
    }
}
