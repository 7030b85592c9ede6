using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary><c>users move-in</c>: copy a whole storage from another remoteStorage server with a
/// token the person got there (read access to everything, <c>*:r</c>).</summary>
internal static class MoveInCommands
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The user to move in." };
        var from = new Option<string>("--from") { Description = "The old address, user@host.", Required = true };
        var token = new Option<string>("--token") { Description = "A bearer token of the old server with read access to everything (*:r).", Required = true };
        var command = new Command("move-in", "Copy everything from another remoteStorage server; resumes an unfinished move-in from the same address. The report goes to stdout, progress to stderr.") { name, from, token };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => RunAsync(services, console, parse.GetRequiredValue(name), parse.GetRequiredValue(from), parse.GetRequiredValue(token), ct),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(IServiceProvider services, CliConsole console, string name, string from, string token, CancellationToken ct)
    {
        var user = await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), name);
        OldServer old;
        try
        {
            await console.Error.WriteLineAsync("move-in: looking up " + from + "...");
            old = await services.GetRequiredService<MoveInDiscovery>().DiscoverAsync(from, ct);
        }
        catch (MoveInRefusedException e)
        {
            throw new CliException(e.Message);
        }

        var copier = services.GetRequiredService<MoveInCopier>();
        var job = await copier.CreateAsync(user.UserName!, old, token, ct);
        await AuditCommands.RecordAsync(services, AuditKind.MoveInStarted, user.UserName, $"From {from} ({old.StorageRoot}), from the command line.");
        await console.Error.WriteLineAsync("move-in: copying from " + old.StorageRoot + " (job " + job.Id + ")");
        job = await copier.RunAsync(job.Id, new Lines(console.Error), ct)
            ?? throw new CliException("This move-in is running elsewhere (the server or another command holds it); its progress shows on the account page.");

        var stdout = console.Out;
        var refusals = MoveInReport.Refusals(job);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"copied: {job.Copied}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"skipped: {job.Skipped}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"refused: {refusals.Count}"));
        foreach (var (path, why) in refusals)
        {
            await stdout.WriteLineAsync($"  {path}: {why}");
        }

        if (job.State == MoveInState.Failed)
        {
            throw new CliException(job.Error ?? "The move-in failed.");
        }

        return 0;
    }

    /// <summary>Progress lines on stderr, at most one a second besides the last.</summary>
    private sealed class Lines(TextWriter stderr) : IProgress<MoveInProgress>
    {
        private long _shownAt;

        public void Report(MoveInProgress value)
        {
            if (value.Current is not null && System.Diagnostics.Stopwatch.GetElapsedTime(_shownAt) < TimeSpan.FromSeconds(1))
            {
                return;
            }

            _shownAt = System.Diagnostics.Stopwatch.GetTimestamp();
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"move-in: {value.Copied} copied, {value.Skipped} skipped, {value.Refused} refused, {value.FoldersLeft} folders to go"));
        }
    }
}
