using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.DataFreedom.Export;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary><c>users export &lt;name&gt; --output &lt;file.zip&gt; [--module &lt;m&gt;]</c>: the
/// same zip as the account page's download, written to a file.</summary>
internal static class ExportCommands
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The user whose storage to export." };
        var output = new Option<string>("--output", "-o") { Description = "The zip file to write (replaced if it exists).", Required = true, HelpName = "file.zip" };
        var module = new Option<string?>("--module") { Description = "Export only this module: <m>/… and public/<m>/….", HelpName = "m" };
        var command = new Command("export", "Write the user's storage (or one module) to a zip, in the layout rs-backup restores.") { name, output, module };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => ExportAsync(services, console, parse.GetRequiredValue(name), parse.GetRequiredValue(output), parse.GetValue(module), ct),
            ct));
        return command;
    }

    private static async Task<int> ExportAsync(IServiceProvider services, CliConsole console, string name, string output, string? module, CancellationToken ct)
    {
        if (module is not null && ExportModules.Problem(module) is { } problem)
        {
            throw new CliUsageException(problem);
        }

        await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), name);
        await using var run = await services.GetRequiredService<AccountExporter>().BeginAsync(name, module, ct)
            ?? throw new CliException($"{name} has no documents in the module '{module}'.");
        await AuditCommands.RecordAsync(services, AuditKind.ExportStarted, name, string.Create(
            CultureInfo.InvariantCulture,
            $"{(module is null ? "The whole storage" : $"The module {module}")}: {run.DocumentsTotal} documents, {run.BytesTotal} bytes, to a file, from the command line."));
        var partial = output + ".partial";
        try
        {
            // Written under another name and moved at the end: a file named as asked is always a whole zip.
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await run.WriteAsync(file, new ExportLines(console.Error), ct);
            }

            File.Move(partial, output, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }

        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Exported {run.DocumentsTotal} document(s), {run.BytesTotal} byte(s) of {name} to {output}."));
        return 0;
    }

    /// <summary>Progress on stderr, as <see cref="ProgressLines"/> shows it: the first and last
    /// report, and at most one line a second between.</summary>
    private sealed class ExportLines(TextWriter stderr) : IProgress<ExportProgress>
    {
        private long _shownAt;
        private bool _shown;

        public void Report(ExportProgress p)
        {
            var last = p.Documents == p.DocumentsTotal && p.Bytes == p.BytesTotal;
            if (_shown && !last && Stopwatch.GetElapsedTime(_shownAt) < TimeSpan.FromSeconds(1))
            {
                return;
            }

            _shown = true;
            _shownAt = Stopwatch.GetTimestamp();
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"users export: {p.Documents} of {p.DocumentsTotal} documents, {p.Bytes} of {p.BytesTotal} bytes"));
        }
    }
}
