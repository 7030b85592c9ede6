using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Cli;

/// <summary>
/// The <c>history</c> commands: a user's retained versions (every overwrite and deletion can be
/// undone while <c>Storage:VersionRetentionDays</c> keeps them), restores, and purges.
/// </summary>
internal static class HistoryCommands
{
    public static Command Create(CliConsole console) => new("history", "Retained versions of users' documents: list, restore and purge.")
    {
        ListCommand(console),
        RestoreCommand(console),
        PurgeCommand(console),
    };

    private static Argument<string> User() => new("user") { Description = "The user whose history it is." };

    private static Argument<string> PathArgument(string description) => new("path") { Description = description };

    private static Command ListCommand(CliConsole console)
    {
        var user = User();
        var path = PathArgument("A document (/notes/a) for its versions, or a folder ending in / (/notes/) for the deleted documents under it.");
        var command = new Command("list", "Print a document's versions, newest first, or the deleted documents under a folder.") { user, path };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => ListAsync(services, console, parse.GetRequiredValue(user), parse.GetRequiredValue(path), ct),
            ct));
        return command;
    }

    private static Command RestoreCommand(CliConsole console)
    {
        var user = User();
        var path = PathArgument("The document or folder (ending in /) to restore.");
        var version = new Option<string?>("--version") { HelpName = "id", Description = "Restore this version of the document (an id from 'history list')." };
        var asOf = new Option<string?>("--as-of") { HelpName = "time", Description = "Put the document or folder back as it was at this ISO-8601 time, e.g. 2026-12-01T09:00:00Z." };
        var command = new Command(
            "restore",
            "Restore a document (its newest retained version, or --version, or --as-of) or a folder (--as-of), and print what changed. "
            + "The replaced versions stay in the history, so a restore can be undone too.")
        {
            user,
            path,
            version,
            asOf,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(version) is not null && result.GetValue(asOf) is not null)
            {
                result.AddError("'history restore' takes --version or --as-of, not both.");
            }
        });
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => RestoreAsync(services, console, parse.GetRequiredValue(user), parse.GetRequiredValue(path), parse.GetValue(version), parse.GetValue(asOf), ct),
            ct));
        return command;
    }

    private static Command PurgeCommand(CliConsole console)
    {
        var user = User();
        var olderThan = new Option<string?>("--older-than") { HelpName = "days", Description = "Only versions replaced or deleted more than this many days ago." };
        var command = new Command("purge", "Delete the user's history and trash for good (all of it, or only older versions).") { user, olderThan };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => PurgeAsync(services, console, parse.GetRequiredValue(user), parse.GetValue(olderThan), ct),
            ct));
        return command;
    }

    private static async Task<int> ListAsync(IServiceProvider services, CliConsole console, string user, string pathText, CancellationToken ct)
    {
        await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), user);
        var path = ParsePath(pathText);
        var history = services.GetRequiredService<DocumentHistory>();
        var stdout = console.Out;
        if (path.IsFolder)
        {
            var trash = await history.ListTrashAsync(user, path, ct);
            if (trash.Count == 0)
            {
                await stdout.WriteLineAsync($"No deleted documents under {path.Value}.");
                return 0;
            }

            var rows = new List<string[]> { new[] { "VERSION", "DELETED", "BY", "BYTES", "PATH" } };
            rows.AddRange(trash.Select(t => new[] { Id(t.VersionId), Time(t.DeletedUtc), t.DeletedBy ?? "-", Bytes(t.ContentLength), t.Path.Value }));
            await CliShared.WriteTableAsync(stdout, rows);
            return 0;
        }

        var list = await history.ListVersionsAsync(user, path, ct);
        if (list.Current is null && list.Retained.Count == 0)
        {
            throw new CliException($"{user} has no document {path.Value} and no history of it.");
        }

        var table = new List<string[]> { new[] { "VERSION", "WRITTEN", "BY", "REPLACED", "BY", "BYTES", "TYPE", "STATE" } };
        if (list.Current is { } current)
        {
            table.Add(["current", Time(current.CreatedUtc), current.CreatedBy ?? "-", "-", "-", Bytes(current.ContentLength), current.ContentType, "current"]);
        }

        table.AddRange(list.Retained.Select(v => new[]
        {
            Id(v.Id!.Value), Time(v.CreatedUtc), v.CreatedBy ?? "-", Time(v.ReplacedUtc!.Value), v.ReplacedBy ?? "-", Bytes(v.ContentLength), v.ContentType, v.Deleted ? "deleted" : "replaced",
        }));
        await CliShared.WriteTableAsync(stdout, table);
        return 0;
    }

    private static async Task<int> RestoreAsync(IServiceProvider services, CliConsole console, string user, string pathText, string? versionText, string? asOfText, CancellationToken ct)
    {
        await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), user);
        var path = ParsePath(pathText);
        var history = services.GetRequiredService<DocumentHistory>();
        if (asOfText is not null)
        {
            var asOf = ParseTime(asOfText);
            var folder = path.IsFolder ? path : path.Parent!;
            var plan = await history.PlanFolderRestoreAsync(user, folder, asOf, ct);
            if (path.IsDocument)
            {
                // One document as it was then: the plan of its folder, narrowed to it.
                plan = plan with { Changes = plan.Changes.Where(c => c.Path.Equals(path)).ToList() };
                if (plan.Changes.Count == 0)
                {
                    throw new CliException($"{user} had no document {path.Value} at {Time(asOf)} and has none now.");
                }
            }

            var lines = new ProgressLines(console.Error, "history restore");
            var report = await history.ApplyPlanAsync(plan, HistoryLabels.CommandLine, new RestoreLines(lines), ct);
            await AuditCommands.RecordAsync(services, AuditKind.HistoryRestored, user, string.Create(
                CultureInfo.InvariantCulture,
                $"{path.Value} as it was at {Time(asOf)}: {report.Restored} restored, {report.Deleted} deleted, {report.Failed.Count} failed, from the command line."));
            await PrintFolderReportAsync(console.Out, plan, report);
            return report.Failed.Count == 0 ? 0 : 1;
        }

        if (path.IsFolder)
        {
            throw new CliException("A folder is restored to a point in time: give --as-of <time>.");
        }

        long id;
        if (versionText is not null)
        {
            if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out id))
            {
                throw new CliException("--version takes a version id from 'history list'.");
            }
        }
        else
        {
            var retained = (await history.ListVersionsAsync(user, path, ct)).Retained;
            id = retained.Count > 0 ? retained[0].Id!.Value : throw new CliException($"{user} has no retained version of {path.Value}.");
        }

        var versions = await history.ListVersionsAsync(user, path, ct);
        if (!versions.Retained.Any(v => v.Id == id))
        {
            throw new CliException($"{path.Value} of {user} has no version {id}.");
        }

        var outcome = await history.RestoreVersionAsync(user, id, HistoryLabels.CommandLine, ct);
        if (outcome.Status != RestoreStatus.Restored)
        {
            throw new CliException($"{path.Value} was not restored: {outcome.Reason}");
        }

        await AuditCommands.RecordAsync(services, AuditKind.HistoryRestored, user, $"{path.Value}: version {Id(id)}, from the command line.");
        await console.Out.WriteLineAsync($"restored {path.Value} to version {Id(id)}, now {outcome.NewETag!.Value.Quoted}");
        return 0;
    }

    private static async Task PrintFolderReportAsync(TextWriter stdout, RestorePlan plan, FolderRestoreReport report)
    {
        var failed = report.Failed.Select(f => f.Path).ToHashSet();
        foreach (var change in plan.Changes.Where(c => c.Action != RestoreAction.Unchanged && !failed.Contains(c.Path)))
        {
            await stdout.WriteLineAsync(change.Action switch
            {
                RestoreAction.Restore => $"restored {change.Path.Value} ({Bytes(change.FromLength)} -> {Bytes(change.ToLength)} bytes)",
                RestoreAction.NotKept => $"left {change.Path.Value}: its version from then is no longer kept",
                _ => $"deleted {change.Path.Value}",
            });
        }

        foreach (var failure in report.Failed)
        {
            await stdout.WriteLineAsync($"failed {failure.Path.Value}: {failure.Reason}");
        }

        await stdout.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{plan.Folder.Value} as of {Time(plan.AsOfUtc)}: restored {report.Restored}, deleted {report.Deleted}, unchanged {report.Unchanged}, {(report.NotKept > 0 ? $"not kept {report.NotKept}, " : string.Empty)}failed {report.Failed.Count}"));
    }

    private static async Task<int> PurgeAsync(IServiceProvider services, CliConsole console, string user, string? olderThanText, CancellationToken ct)
    {
        await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), user);
        TimeSpan? olderThan = null;
        if (olderThanText is not null)
        {
            olderThan = int.TryParse(olderThanText, NumberStyles.None, CultureInfo.InvariantCulture, out var days)
                ? TimeSpan.FromDays(days)
                : throw new CliException("--older-than takes a whole number of days.");
        }

        var result = await services.GetRequiredService<DocumentHistory>().PurgeAsync(user, olderThan, ct);
        await AuditCommands.RecordAsync(services, AuditKind.HistoryPurged, user, string.Create(
            CultureInfo.InvariantCulture,
            $"{(olderThan is { } age ? $"Versions older than {age.TotalDays:0} days" : "All history and trash")}: {result.Versions} version(s), {result.Bytes} byte(s), from the command line."));
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Deleted {result.Versions} version(s), {result.Bytes} byte(s) of {user}'s history for good."));
        return 0;
    }

    /// <summary>A path as typed (not percent-encoded), checked as a request path would be.</summary>
    private static StoragePath ParsePath(string text)
    {
        if (!text.StartsWith('/'))
        {
            throw new CliException("A path starts with '/', e.g. /notes/a or /notes/.");
        }

        var encoded = string.Join('/', text.Split('/').Select(Uri.EscapeDataString));
        return StoragePath.TryParse(encoded, out var path) is { Success: true } ? path! : throw new CliException($"'{text}' is not a valid storage path.");
    }

    private static DateTime ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.UtcDateTime
            : throw new CliException("--as-of takes an ISO-8601 time, e.g. 2026-12-01T09:00:00Z.");

    private static string Time(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string Bytes(long? length) => length?.ToString(CultureInfo.InvariantCulture) ?? "-";

    /// <summary>A folder restore's progress as <see cref="ProgressLines"/> shows it.</summary>
    private sealed class RestoreLines(ProgressLines lines) : IProgress<FolderRestoreProgress>
    {
        public void Report(FolderRestoreProgress value) => lines.Report(new ReconcileProgress("restoring", value.Done, value.Total));
    }
}
