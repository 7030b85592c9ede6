using System.Globalization;
using System.Net;

namespace SyncSim;

/// <summary>
/// The run: builds the apps, starts their polls or streams and the writers, warms up, measures for
/// the given duration, stops writing, lets the apps catch up, reads every written document back
/// and checks what each app ended up knowing. Split by concern into partial files.
/// </summary>
internal sealed partial class Simulation : IDisposable
{
    private readonly SimOptions _o;
    private readonly Net _net;
    private readonly HttpClient[] _clients;
    private readonly IPEndPoint[] _endpoints;
    private readonly App[] _apps;
    private readonly App[] _writers;
    private readonly App[] _streamApps;
    private readonly App[] _pollApps;
    private readonly int _appsPerUser;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopWrites = new();

    public Simulation(SimOptions options)
    {
        _o = options;
        _net = new Net(options);
        _clients = [.. options.Servers.Select(_net.CreateClient)];
        _endpoints = [.. options.Servers.Select(s => new IPEndPoint(IPAddress.Parse(s.Host), s.Port))];

        var tokens = File.ReadAllLines(options.TokensFile)
            .Where(l => l.Length > 0)
            .Select(l => l.Split('\t'))
            .Take(options.Users)
            .ToArray();
        if (tokens.Length < options.Users)
        {
            throw new InvalidOperationException($"{options.TokensFile} has {tokens.Length} users, the run needs {options.Users}");
        }

        // Consecutive apps share a user; instances alternate, so a user's apps sit on every
        // instance. Writers: a fixed share of each user's apps, at positions that rotate with the
        // user, so writers too are on every instance.
        _appsPerUser = (options.Apps + options.Users - 1) / options.Users;
        var writersPerUser = Math.Max(1, (int)Math.Round(options.WriterShare * _appsPerUser));
        _apps = new App[options.Apps];
        for (var i = 0; i < options.Apps; i++)
        {
            var user = i / _appsPerUser;
            var local = i % _appsPerUser;
            var writer = options.WritesPerSecond > 0 && (local + user) % _appsPerUser < writersPerUser;
            _apps[i] = new App(i, user, tokens[user][0], "Bearer " + tokens[user][1], i % options.Servers.Count, writer, options.StreamsFor(user), options.DocsPerWriter);
        }

        _writers = [.. _apps.Where(a => a.Writer)];
        _streamApps = [.. _apps.Where(a => a.Streaming)];
        _pollApps = [.. _apps.Where(a => !a.Streaming)];
    }

    // --- What is measured. ---
    public Samples Polls { get; } = new();

    public Samples SubfolderGets { get; } = new();

    public Samples DocGets { get; } = new();

    public Samples Writes { get; } = new();

    /// <summary>Change events, matched with the writes that made them.</summary>
    public Deliveries Events { get; } = new();

    /// <summary>Documents fetched by the other apps of the user (after a poll or an event).</summary>
    public Deliveries Seen { get; } = new();

    public ErrorCounts Errors { get; } = new();

    public ErrorCounts MeasuredErrors { get; } = new();

    public ErrorTimeline Timeline { get; } = new();

    public WriteLedger Ledger { get; } = new();

    public ErrorCounts Resets { get; } = new();

    private volatile bool _measuring;
    private long _pollsSkipped;
    private long _writesSkipped;
    private long _writesOk;
    private long _eventsReceived;
    private long _ownEvents;
    private long _heartbeats;
    private int _streamsOpen;
    private long _streamOpens;
    private double _allOpenSeconds = double.NaN;
    private int _minOpenMeasured = int.MaxValue;
    private readonly List<(long UnixMs, int Open)> _openSeries = [];

    private bool Measuring => _measuring;

    private string Folder => "/" + _o.Module + "/";

    private static string DocPath(string module, int writer, int k) =>
        string.Create(CultureInfo.InvariantCulture, $"/{module}/w{writer}/d{k}");

    /// <summary>"/mod/w12/d3" -> (12, 3); false for anything else.</summary>
    public static bool TryParseDoc(string path, string module, out int writer, out int k)
    {
        writer = k = 0;
        var prefix = "/" + module + "/w";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path.AsSpan(prefix.Length);
        var slash = rest.IndexOf("/d", StringComparison.Ordinal);
        return slash > 0
            && int.TryParse(rest[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out writer)
            && int.TryParse(rest[(slash + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out k);
    }

    private long DocKey(int writer, int k) => ((long)writer * _o.DocsPerWriter) + k;

    private void Error(string category, string kind)
    {
        var name = category + " " + kind;
        Errors.Add(name);
        if (Measuring)
        {
            MeasuredErrors.Add(name);
        }

        Timeline.Add(category);
    }

    private static HttpRequestMessage Request(HttpMethod method, App app, string pathInStorage)
    {
        var request = new HttpRequestMessage(method, "/storage/" + app.UserName + pathInStorage);
        request.Headers.TryAddWithoutValidation("Authorization", app.Authorization);
        return request;
    }

    private static string? ETagOf(HttpResponseMessage response)
    {
        var tag = response.Headers.ETag?.Tag;
        return tag is null ? null : tag.Trim('"');
    }

    /// <summary>Moves an app to the next instance after a connection-level failure (what a client
    /// behind a load balancer gets for free); a 5xx keeps it where it is.</summary>
    private void Failover(App app, Exception e)
    {
        if (_clients.Length > 1 && Net.Describe(e) is "connection-refused" or "connection-reset" or "connection-error" or "connection-closed")
        {
            app.Instance = (app.Instance + 1) % _clients.Length;
        }
    }

    public async Task<Report> RunAsync()
    {
        var report = new Report(_o) { Writers = _writers.Length, AppsPerUser = _appsPerUser, StreamApps = _streamApps.Length };
        var processes = new ProcessSampler(_o);
        Log($"{_o.Apps} apps of {_o.Users} users ({_writers.Length} writers), mode {_o.Mode}, {_o.Servers.Count} instance(s)");
        var started = Clock.NowMs;
        var sampler = Task.Run(() => SampleAsync(processes, _stop.Token));

        var streams = OpenStreamsAsync(_stop.Token);
        await WaitForStreamsAsync(started);
        var polls = Task.Run(() => PollSchedulerAsync(_stop.Token));
        var background = Task.WhenAll(streams, polls);

        var writes = Task.Run(() => WritePacerAsync(_stopWrites.Token));
        Log($"warming up {_o.Warmup} s");
        await Task.Delay(TimeSpan.FromSeconds(_o.Warmup));

        Log($"measuring {_o.Duration} s");
        processes.Begin();
        var measureStart = Clock.NowMs;
        report.MeasureStartUnixMs = Clock.UnixMs;
        _measuring = true;
        if (_o.ReadyFile is not null)
        {
            await File.WriteAllTextAsync(_o.ReadyFile, report.MeasureStartUnixMs.ToString(CultureInfo.InvariantCulture));
        }

        await Task.Delay(TimeSpan.FromSeconds(_o.Duration));
        _measuring = false;
        report.MeasuredSeconds = (Clock.NowMs - measureStart) / 1000.0;
        report.MeasureEndUnixMs = Clock.UnixMs;
        processes.End();
        report.Processes = processes.Results();
        report.StreamsOpenAtEnd = Volatile.Read(ref _streamsOpen);

        Log("stopping the writers, letting the apps catch up");
        await _stopWrites.CancelAsync();
        await writes;
        await WaitForWritesAsync();
        await Task.Delay(TimeSpan.FromSeconds(_o.AnyPolls ? _o.PollIntervalSeconds + 5 : 5));

        Log("reading back every written document");
        var truth = await ReadBackAsync(report);
        CheckConvergence(truth, report);

        await _stop.CancelAsync();
        CloseStreams();
        try
        {
            await Task.WhenAll(background, sampler).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Stopping.
        }

        FillReport(report);
        return report;
    }

    private void FillReport(Report r)
    {
        r.Polls = Polls.Summarize();
        r.SubfolderGets = SubfolderGets.Summarize();
        r.DocGets = DocGets.Summarize();
        r.Writes = Writes.Summarize();
        r.EventsAfterAck = Events.AfterAck.Summarize();
        r.EventsAfterSend = Events.AfterSend.Summarize();
        r.EventsCross = Events.CrossInstance.Summarize();
        r.SeenAfterAck = Seen.AfterAck.Summarize();
        r.SeenCross = Seen.CrossInstance.Summarize();
        r.Errors = Errors.Sorted();
        r.MeasuredErrors = MeasuredErrors.Sorted();
        r.Resets = Resets.Sorted();
        r.PollsSkipped = Interlocked.Read(ref _pollsSkipped);
        r.WritesSkipped = Interlocked.Read(ref _writesSkipped);
        r.WritesOk = Interlocked.Read(ref _writesOk);
        r.EventsReceived = Interlocked.Read(ref _eventsReceived);
        r.OwnEvents = Interlocked.Read(ref _ownEvents);
        r.Heartbeats = Interlocked.Read(ref _heartbeats);
        r.StreamOpens = Interlocked.Read(ref _streamOpens);
        r.AllOpenSeconds = _allOpenSeconds;
        r.MinOpenMeasured = _minOpenMeasured == int.MaxValue ? 0 : _minOpenMeasured;
        r.UnmatchedEvents = Events.Unmatched();
        r.Attempts = Ledger.All();
        lock (_openSeries)
        {
            r.OpenSeries = [.. _openSeries];
        }

        r.ErrorTimes = Timeline.All();
    }

    /// <summary>Every 100 ms: open streams (for recovery after chaos); every second: the processes.</summary>
    private async Task SampleAsync(ProcessSampler processes, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var open = Volatile.Read(ref _streamsOpen);
                lock (_openSeries)
                {
                    _openSeries.Add((Clock.UnixMs, open));
                }

                if (Measuring && open < _minOpenMeasured)
                {
                    _minOpenMeasured = open;
                }

                if (++tick % 10 == 0)
                {
                    processes.Sample();
                }

                if (tick % 50 == 0)
                {
                    Log(string.Create(CultureInfo.InvariantCulture,
                        $"open streams {open}, polls {Polls.Count}, writes ok {Interlocked.Read(ref _writesOk)}, events {Interlocked.Read(ref _eventsReceived)}, errors {Errors.Total}"));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _stopWrites.Dispose();
        _connectGate?.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    public static void Log(string line) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sync-sim {DateTime.UtcNow:HH:mm:ss}: {line}"));
}
