using System.Globalization;

namespace SyncSim;

/// <summary>CPU and memory of one process over the measured window, from /proc.</summary>
internal sealed record ProcessFigures(string Name, int Pid, double CpuPercent, long RssKib, long MaxRssKib, long PeakKib, bool Restarted);

/// <summary>
/// The servers' (pid files the script keeps current across restarts) and the simulator's own CPU
/// (utime + stime from <c>/proc/&lt;pid&gt;/stat</c>, as % of one core over the window) and RSS
/// (<c>VmRSS</c> sampled every second, and <c>VmHWM</c>, the kernel's peak, at the end).
/// </summary>
internal sealed class ProcessSampler(SimOptions options)
{
    private readonly List<Tracked> _tracked = [];
    private readonly Lock _lock = new();
    private double _beginMs;
    private double _endMs;

    private sealed class Tracked(string name, string? pidFile)
    {
        public string Name { get; } = name;

        public string? PidFile { get; } = pidFile;

        public int Pid { get; set; }

        public long TicksBegin { get; set; }

        public long TicksEnd { get; set; }

        public long MaxRss { get; set; }

        public long Rss { get; set; }

        public long Peak { get; set; }

        public bool Restarted { get; set; }

        public int CurrentPid() => PidFile is null
            ? Environment.ProcessId
            : int.TryParse(TryRead(PidFile)?.Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : 0;
    }

    public void Begin()
    {
        lock (_lock)
        {
            BeginLocked();
        }
    }

    private void BeginLocked()
    {
        _tracked.Clear();
        foreach (var (name, file) in options.ServerPidFiles)
        {
            _tracked.Add(new Tracked(name, file));
        }

        _tracked.Add(new Tracked("simulator", null));
        foreach (var t in _tracked)
        {
            t.Pid = t.CurrentPid();
            t.TicksBegin = Ticks(t.Pid);
        }

        _beginMs = Clock.NowMs;
        SampleLocked();
    }

    public void Sample()
    {
        lock (_lock)
        {
            SampleLocked();
        }
    }

    private void SampleLocked()
    {
        foreach (var t in _tracked)
        {
            var pid = t.CurrentPid();
            if (pid != t.Pid)
            {
                t.Restarted = true;
            }

            var rss = StatusKib(pid, "VmRSS:");
            t.MaxRss = Math.Max(t.MaxRss, rss);
        }
    }

    public void End()
    {
        lock (_lock)
        {
            EndLocked();
        }
    }

    private void EndLocked()
    {
        SampleLocked();
        _endMs = Clock.NowMs;
        foreach (var t in _tracked)
        {
            var pid = t.CurrentPid();
            t.TicksEnd = pid == t.Pid ? Ticks(pid) : 0;
            t.Rss = StatusKib(pid, "VmRSS:");
            t.Peak = StatusKib(pid, "VmHWM:");
        }
    }

    public IReadOnlyList<ProcessFigures> Results()
    {
        var seconds = Math.Max(0.001, (_endMs - _beginMs) / 1000.0);
        return
        [
            .. _tracked.Select(t => new ProcessFigures(
                t.Name,
                t.Pid,
                t.Restarted ? double.NaN : (t.TicksEnd - t.TicksBegin) * 100.0 / options.ClockTicks / seconds,
                t.Rss,
                t.MaxRss,
                t.Peak,
                t.Restarted)),
        ];
    }

    /// <summary>utime + stime (fields 14 and 15 of /proc/pid/stat, after the command in parentheses).</summary>
    public static long Ticks(int pid)
    {
        var stat = TryRead($"/proc/{pid}/stat");
        if (stat is null)
        {
            return 0;
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public static long StatusKib(int pid, string field)
    {
        var status = TryRead($"/proc/{pid}/status");
        if (status is null)
        {
            return 0;
        }

        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
