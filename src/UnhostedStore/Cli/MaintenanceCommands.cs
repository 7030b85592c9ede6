using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Options;
using UnhostedStore.Blobs;
using UnhostedStore.Hosting;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Cli;

/// <summary>The database and blob store upkeep commands: <c>migrate</c> and <c>reconcile</c>.</summary>
internal static class MaintenanceCommands
{
    public static Command Migrate(CliConsole console)
    {
        var command = new Command(
            "migrate",
            "Apply pending database migrations and exit. Settings may follow as for the server, e.g. "
            + "DataDirectory=/var/lib/unhostedstore or --ConnectionStrings:Postgres=\"Host=...\".")
        {
            // Whatever follows the command is configuration, handed to the host builder as the
            // server's own command line would be (Key=Value, --Key=Value, --Key Value), so a
            // one-off migration can point at another database without touching the environment.
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parse, ct) =>
        {
            string[] settings = [.. parse.UnmatchedTokens];
            var builder = WebApplication.CreateBuilder(settings);
            builder.Configuration.AddInMemoryCollection(console.Settings);

            // The console's settings stand for the environment, so the command line wins over
            // them as it does over the environment: it goes last again.
            builder.Configuration.AddCommandLine(settings);
            CliHost.ConfigureLogging(builder);
            AppHost.ConfigureServices(builder);
            await using var app = builder.Build();
            await PersistenceServices.MigrateAsync(app.Services, ct);
            await console.Out.WriteLineAsync("Migrations applied.");
            return 0;
        });
        return command;
    }

    public static Command Reconcile(CliConsole console)
    {
        var repair = UserCommands.Flag("--repair", "Fix the drift found: remove orphan blobs and broken rows, rewrite usage counters.");

        // A string, parsed by the command: a bad number is the operator's mistake (exit 1), as
        // it always was, not a malformed command line.
        var grace = new Option<string>("--grace-minutes")
        {
            HelpName = "n",
            Description = "Blobs younger than this count as in flight, not orphaned (default Blobs:OrphanGraceMinutes).",
        };
        var command = new Command(
            "reconcile",
            "Report drift between metadata and blobs (blobs no row references, rows whose blob is missing, "
            + "usage counters) and with --repair fix it. Progress goes to stderr.")
        {
            repair,
            grace,
        };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => ReconcileAsync(services, console, parse.GetValue(repair), parse.GetValue(grace), ct),
            ct));
        return command;
    }

    private static async Task<int> ReconcileAsync(IServiceProvider services, CliConsole console, bool repair, string? graceText, CancellationToken ct)
    {
        var blobOptions = services.GetRequiredService<IOptions<BlobOptions>>().Value;
        var grace = graceText is null
            ? blobOptions.OrphanGraceMinutes
            : int.TryParse(graceText, NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : throw new CliException("--grace-minutes takes a whole number of minutes.");
        var progress = new ProgressLines(console.Error, "reconcile");
        var report = await services.GetRequiredService<BlobReconciler>().RunAsync(repair, TimeSpan.FromMinutes(grace), checkRows: true, progress, ct);

        var stdout = console.Out;
        await stdout.WriteLineAsync($"blobs seen: {report.BlobsSeen}");
        await stdout.WriteLineAsync($"orphan blobs (no row, older than {grace} min): {report.OrphanBlobs.Count}{(repair ? $", removed {report.OrphansRemoved}" : string.Empty)}");
        foreach (var key in report.OrphanBlobs)
        {
            await stdout.WriteLineAsync("  orphan " + key);
        }

        await stdout.WriteLineAsync($"rows whose blob is missing: {report.MissingBlobs.Count}{(repair ? $", removed {report.RowsRemoved}" : string.Empty)}");
        foreach (var (owner, path, key) in report.MissingBlobs)
        {
            await stdout.WriteLineAsync($"  missing {owner}{path} (blob {key})");
        }

        await stdout.WriteLineAsync($"history versions whose blob is missing: {report.MissingVersionBlobs.Count}{(repair ? $", removed {report.VersionsRemoved}" : string.Empty)}");
        foreach (var v in report.MissingVersionBlobs)
        {
            await stdout.WriteLineAsync($"  missing {v.Owner}{v.Path} version {v.VersionId} (blob {v.BlobKey})");
        }

        await stdout.WriteLineAsync($"usage counters off: {report.UsageDrifts.Count}{(repair ? $", repaired {report.UsageRepaired}" : string.Empty)}");
        foreach (var d in report.UsageDrifts)
        {
            var scope = d.Module is null ? string.Empty : d.Module.Length == 0 ? " (top level)" : $" module {d.Module}";
            var history = d.Module is null && d.RecordedHistoryBytes != d.ActualHistoryBytes
                ? $"; history recorded {d.RecordedHistoryBytes} bytes, actual {d.ActualHistoryBytes}"
                : string.Empty;
            await stdout.WriteLineAsync($"  {d.Owner}{scope}: recorded {d.RecordedBytes} bytes / {d.RecordedDocuments} documents, actual {d.ActualBytes} / {d.ActualDocuments}{history}");
        }

        var clean = report.OrphanBlobs.Count == 0 && report.MissingBlobs.Count == 0 && report.MissingVersionBlobs.Count == 0 && report.UsageDrifts.Count == 0;
        await stdout.WriteLineAsync(clean ? "no drift" : repair ? "repaired" : "drift found; run with --repair to fix it");
        return 0;
    }
}
