using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using UnhostedStore.DataFreedom;
using UnhostedStore.DataFreedom.Import;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary><c>users import</c>: an export of ours or an rs-backup backup into a user's storage.</summary>
internal static class ImportCommands
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The user to import into." };
        var archive = new Argument<string>("archive") { HelpName = "file.zip|directory", Description = "Our export, or an rs-backup backup (a directory or a zip of it)." };
        var mode = new Option<string>("--mode")
        {
            Description = "What to do with documents the user already has: skip (default), overwrite, or newer (keep the later Last-Modified).",
            DefaultValueFactory = _ => "skip",
        };
        mode.AcceptOnlyFromAmong("skip", "overwrite", "newer");
        var command = new Command("import", "Import an export or an rs-backup backup; the report goes to stdout, progress to stderr.") { name, archive, mode };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => RunAsync(services, console, parse.GetRequiredValue(name), parse.GetRequiredValue(archive), Enum.Parse<ImportMode>(parse.GetValue(mode)!, ignoreCase: true), ct),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(IServiceProvider services, CliConsole console, string name, string path, ImportMode mode, CancellationToken ct)
    {
        var user = await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), name);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new CliException($"There is no file or directory '{path}'.");
        }

        ImportReport report;
        try
        {
            using var source = ArchiveSource.Open(path, services.GetRequiredService<IOptions<ImportOptions>>().Value);
            await console.Error.WriteLineAsync("import: checking the archive...");
            await AuditCommands.RecordAsync(services, AuditKind.ImportStarted, user.UserName, $"From {Path.GetFileName(Path.TrimEndingDirectorySeparator(path))} (mode: {mode.ToString().ToLowerInvariant()}), from the command line.");
            report = await services.GetRequiredService<Importer>().RunAsync(user.UserName!, source, mode, new Lines(console.Error), ct);
        }
        catch (ArchiveRefusedException e)
        {
            throw new CliException(e.Message);
        }

        var stdout = console.Out;
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"imported: {report.Imported}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"skipped: {report.Skipped}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"ignored (not listed): {report.Unlisted.Count}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"refused: {report.Refused.Count}"));
        foreach (var refusal in report.Refused)
        {
            await stdout.WriteLineAsync($"  {refusal.Path}: {refusal.Reason}");
        }

        return 0;
    }

    /// <summary>Progress lines on stderr, at most one a second besides the first and last.</summary>
    private sealed class Lines(TextWriter stderr) : IProgress<ImportProgress>
    {
        private long _shownAt;

        public void Report(ImportProgress value)
        {
            if (value.Done != 0 && value.Done != value.Total && System.Diagnostics.Stopwatch.GetElapsedTime(_shownAt) < TimeSpan.FromSeconds(1))
            {
                return;
            }

            _shownAt = System.Diagnostics.Stopwatch.GetTimestamp();
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"import: {value.Done} of {value.Total} documents"));
        }
    }
}
