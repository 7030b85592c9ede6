using System.Diagnostics;
using System.Globalization;
using UnhostedStore.Storage;

namespace UnhostedStore.Cli;

/// <summary>
/// Shows how far a long command got as plain lines on stderr, never stdout, which scripts parse.
/// Plain lines rather than a redrawn bar: the output is as readable in a log file or a CI job as
/// on a terminal. Each stage's first and last report is shown, and in between at most one line
/// per <see cref="Interval"/>, however often the work reports.
/// </summary>
internal sealed class ProgressLines(TextWriter stderr, string prefix) : IProgress<ReconcileProgress>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private string? _stage;
    private long _shownAt;

    public void Report(ReconcileProgress value)
    {
        var last = value.Done == value.Total;
        if (value.Stage == _stage && !last && Stopwatch.GetElapsedTime(_shownAt) < Interval)
        {
            return;
        }

        _stage = value.Stage;
        _shownAt = Stopwatch.GetTimestamp();
        stderr.WriteLine(prefix + ": " + Describe(value));
    }

    private static string Describe(ReconcileProgress p) => p switch
    {
        { Done: var done, Total: var total } when done == total => string.Create(CultureInfo.InvariantCulture, $"{p.Stage}: {done} done"),
        { Done: 0, Total: null } => p.Stage + "...",
        { Done: 0 } => string.Create(CultureInfo.InvariantCulture, $"{p.Stage} ({p.Total})..."),
        { Total: null } => string.Create(CultureInfo.InvariantCulture, $"{p.Stage}: {p.Done} so far"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{p.Stage}: {p.Done} of {p.Total}"),
    };
}
