using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace SyncSim;

/// <summary>Monotonic milliseconds since the process started (Stopwatch), and wall-clock Unix
/// milliseconds for lining up with the script's chaos log.</summary>
internal static class Clock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    public static double NowMs => (Stopwatch.GetTimestamp() - Origin) * 1000.0 / Stopwatch.Frequency;

    public static long UnixMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>Latency samples of one kind, kept whole (a run has a few million at most) so that the
/// percentiles are exact, not bucketed.</summary>
internal sealed class Samples
{
    private readonly Lock _lock = new();
    private List<float> _values = new(1 << 16);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _values.Count;
            }
        }
    }

    public void Add(double ms)
    {
        lock (_lock)
        {
            _values.Add((float)ms);
        }
    }

    public float[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _values];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _values = new List<float>(1 << 16);
        }
    }

    /// <summary>Nearest-rank percentile (p in 0..100) of the sorted values; NaN when empty.</summary>
    public static double Percentile(float[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    public Summary Summarize()
    {
        var values = Snapshot();
        Array.Sort(values);
        return new Summary(
            values.Length,
            Percentile(values, 50),
            Percentile(values, 99),
            Percentile(values, 99.9),
            values.Length == 0 ? double.NaN : values[^1]);
    }
}

internal readonly record struct Summary(int Count, double P50, double P99, double P999, double Max)
{
    public static string Ms(double v) => double.IsNaN(v) ? "—" : v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
}

/// <summary>Client-seen errors by kind ("poll 503", "write connection-refused", "stream 429"…).</summary>
internal sealed class ErrorCounts
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string kind) => _counts.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public long Total => _counts.Values.Sum();

    public IReadOnlyList<KeyValuePair<string, long>> Sorted() =>
        [.. _counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)];
}

/// <summary>When errors of each category happened (Unix ms), for the recovery times after chaos events.</summary>
internal sealed class ErrorTimeline
{
    private readonly ConcurrentQueue<(long UnixMs, string Category)> _errors = new();

    public void Add(string category) => _errors.Enqueue((Clock.UnixMs, category));

    public IReadOnlyList<(long UnixMs, string Category)> All() => [.. _errors];
}
