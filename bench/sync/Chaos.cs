using System.Globalization;

namespace SyncSim;

/// <summary>
/// Recovery after each disruption the script logged (SIGKILL of an instance, PostgreSQL restart):
/// per kind of request, how many failed until the next disruption and when the last of them
/// happened (after that, that kind ran clean); for streams, how far the open count fell and how
/// long until it was back to where it was before.
/// </summary>
internal static class Chaos
{
    public static IReadOnlyList<(long UnixMs, string What)> ReadEvents(string? file)
    {
        if (file is null || !File.Exists(file))
        {
            return [];
        }

        var events = new List<(long, string)>();
        foreach (var line in File.ReadAllLines(file))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0 && long.TryParse(line.AsSpan(0, tab), CultureInfo.InvariantCulture, out var ms))
            {
                events.Add((ms, line[(tab + 1)..]));
            }
        }

        return events;
    }

    public static bool IsDisruption(string what) =>
        what.StartsWith("kill", StringComparison.Ordinal) || what.StartsWith("pg restart", StringComparison.Ordinal);

    public static void Write(Report r, SimOptions o, Action<string> line)
    {
        var events = ReadEvents(o.ChaosEventsFile);
        line("");
        line("Chaos log (seconds from the start of the measured window):");
        line("");
        foreach (var (ms, what) in events)
        {
            line(string.Create(CultureInfo.InvariantCulture, $"- +{(ms - r.MeasureStartUnixMs) / 1000.0:F1} s: {what}"));
        }

        var disruptions = events.Where(e => IsDisruption(e.What)).ToList();
        if (disruptions.Count == 0)
        {
            return;
        }

        var categories = r.ErrorTimes.Select(e => e.Category).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        line("");
        line("Recovery per disruption: failed requests of each kind until the next disruption, and when the last one failed (after that they ran clean)" +
            (o.AnyStreams ? "; open streams: the lowest count and when it was back to the count before" : string.Empty) + ".");
        line("");
        var header = "| disruption | " + string.Join(" | ", categories.Select(c => c + " errors, last at")) + (o.AnyStreams ? " | streams: lowest open | streams back after |" : " |");
        line(header);
        line("|---|" + string.Concat(categories.Select(_ => "---:|")) + (o.AnyStreams ? "---:|---:|" : string.Empty));
        for (var i = 0; i < disruptions.Count; i++)
        {
            var (at, what) = disruptions[i];
            var until = i + 1 < disruptions.Count ? disruptions[i + 1].UnixMs : long.MaxValue;
            var cells = new List<string>();
            foreach (var c in categories)
            {
                var errors = r.ErrorTimes.Where(e => e.Category == c && e.UnixMs >= at && e.UnixMs < until).ToList();
                cells.Add(errors.Count == 0
                    ? "0"
                    : string.Create(CultureInfo.InvariantCulture, $"{errors.Count}, +{(errors.Max(e => e.UnixMs) - at) / 1000.0:F1} s"));
            }

            if (o.AnyStreams)
            {
                var (lowest, back) = StreamRecovery(r.OpenSeries, at, until);
                cells.Add(lowest.ToString("N0", CultureInfo.InvariantCulture));
                cells.Add(back is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:F1} s") : "not within the interval");
            }

            line(string.Create(CultureInfo.InvariantCulture, $"| +{(at - r.MeasureStartUnixMs) / 1000.0:F1} s {what} | {string.Join(" | ", cells)} |"));
        }
    }

    /// <summary>The lowest open count in [at, until) and the seconds from <paramref name="at"/>
    /// until the count was back to what it was just before (null: never in the interval).</summary>
    public static (int Lowest, double? BackSeconds) StreamRecovery(IReadOnlyList<(long UnixMs, int Open)> series, long at, long until)
    {
        var before = series.LastOrDefault(s => s.UnixMs < at).Open;
        var window = series.Where(s => s.UnixMs >= at && s.UnixMs < until).ToList();
        if (window.Count == 0)
        {
            return (before, null);
        }

        var lowest = window.Min(s => s.Open);
        if (lowest >= before)
        {
            return (lowest, 0);
        }

        var low = window.FindIndex(s => s.Open == lowest);
        for (var i = low; i < window.Count; i++)
        {
            if (window[i].Open >= before)
            {
                return (lowest, (window[i].UnixMs - at) / 1000.0);
            }
        }

        return (lowest, null);
    }
}
