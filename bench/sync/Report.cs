using System.Globalization;
using System.Text;

namespace SyncSim;

/// <summary>What one run measured, written as a Markdown section (and target lines for the
/// script's summary). Percentiles are over the measured window only; errors are shown for the
/// window and for the whole run.</summary>
internal sealed class Report(SimOptions o)
{
    public int Writers { get; set; }

    public int AppsPerUser { get; set; }

    public int StreamApps { get; set; }

    public long MeasureStartUnixMs { get; set; }

    public long MeasureEndUnixMs { get; set; }

    public double MeasuredSeconds { get; set; }

    public IReadOnlyList<ProcessFigures> Processes { get; set; } = [];

    public int StreamsOpenAtEnd { get; set; }

    public Summary Polls { get; set; }

    public Summary SubfolderGets { get; set; }

    public Summary DocGets { get; set; }

    public Summary Writes { get; set; }

    public Summary EventsAfterAck { get; set; }

    public Summary EventsAfterSend { get; set; }

    public Summary EventsCross { get; set; }

    public Summary SeenAfterAck { get; set; }

    public Summary SeenCross { get; set; }

    public IReadOnlyList<KeyValuePair<string, long>> Errors { get; set; } = [];

    public IReadOnlyList<KeyValuePair<string, long>> MeasuredErrors { get; set; } = [];

    public IReadOnlyList<KeyValuePair<string, long>> Resets { get; set; } = [];

    public long PollsSkipped { get; set; }

    public long WritesSkipped { get; set; }

    public long WritesOk { get; set; }

    public long EventsReceived { get; set; }

    public long OwnEvents { get; set; }

    public long Heartbeats { get; set; }

    public long StreamOpens { get; set; }

    public double AllOpenSeconds { get; set; }

    public int MinOpenMeasured { get; set; }

    public int UnmatchedEvents { get; set; }

    public IReadOnlyList<WriteAttempt> Attempts { get; set; } = [];

    public IReadOnlyList<(long UnixMs, int Open)> OpenSeries { get; set; } = [];

    public IReadOnlyList<(long UnixMs, string Category)> ErrorTimes { get; set; } = [];

    public Dictionary<Verdict, int> Verdicts { get; } = [];

    public int Unreadable { get; set; }

    public int AppsChecked { get; set; }

    public int AppsStale { get; set; }

    public int StaleDocs { get; set; }

    public List<(string Kind, string Target, string Measured, bool Met)> Targets { get; } = [];

    private static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string F(double v, int d = 1) => double.IsNaN(v) ? "—" : v.ToString("F" + d.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private string Rate(Summary s) => MeasuredSeconds > 0 ? N(s.Count / MeasuredSeconds) : "—";

    public string Title => string.Create(CultureInfo.InvariantCulture,
        $"{o.Deployment}, {o.Mode}, {N(o.Apps)} apps of {N(o.Users)} users{(o.Chaos ? ", chaos" : string.Empty)}");

    private string ModeText() => o.Mode switch
    {
        "streams" => "one change stream per app",
        "polling" => $"a poll every {o.PollIntervalSeconds} s per app",
        _ => $"the apps of odd-numbered users hold a change stream ({N(StreamApps)} apps), the others poll every {o.PollIntervalSeconds} s",
    };

    public string ToMarkdown()
    {
        Judge();
        var sb = new StringBuilder();
        void Line(string s = "") => sb.Append(s).Append('\n');
        Line("### " + Title);
        Line();
        Line(string.Create(CultureInfo.InvariantCulture,
            $"{N(o.Apps)} apps ({AppsPerUser} per user, {N(Writers)} of them writers), {o.Servers.Count} instance(s), module `{o.Module}`; " +
            $"{ModeText()}; target {N(o.WritesPerSecond)} writes/s of 1 KB. " +
            $"Warm-up {o.Warmup} s, measured {F(MeasuredSeconds)} s."));
        if (o.AnyStreams)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"Streams: all {N(StreamApps)} open after {(double.IsNaN(AllOpenSeconds) ? "— (not all opened)" : F(AllOpenSeconds) + " s")} ({o.ConnectConcurrency} connecting at once); " +
                $"fewest open while measuring {N(MinOpenMeasured)}, open at the end {N(StreamsOpenAtEnd)}; {N(StreamOpens)} opens in all; " +
                $"{N(EventsReceived)} change events ({N(OwnEvents)} of the app's own writes, ignored; {N(UnmatchedEvents)} of versions no acknowledged write made), {N(Heartbeats)} heartbeats, " +
                $"resets: {(Resets.Count == 0 ? "none" : string.Join(", ", Resets.Select(r => $"{r.Key} × {r.Value}")))}."));
        }

        Line(string.Create(CultureInfo.InvariantCulture,
            $"Writes acknowledged: {N(WritesOk)} in the run; due writes skipped because every writer had one in flight: {N(WritesSkipped)}; " +
            $"polls skipped because the app's previous sync had not ended: {N(PollsSkipped)}."));
        Line();
        Line("| measure (measured window) | count | per s | p50 ms | p99 ms | p99.9 ms | max ms |");
        Line("|---|---:|---:|---:|---:|---:|---:|");
        void Row(string name, Summary s, bool rate = true) =>
            Line($"| {name} | {N(s.Count)} | {(rate ? Rate(s) : "—")} | {Summary.Ms(s.P50)} | {Summary.Ms(s.P99)} | {Summary.Ms(s.P999)} | {Summary.Ms(s.Max)} |");
        if (o.AnyPolls)
        {
            Row("poll: folder GET with If-None-Match (304 or 200)", Polls);
        }

        if (SubfolderGets.Count > 0 || o.AnyPolls)
        {
            Row("subfolder GET after a change (a poll's, or a full sync after a reset)", SubfolderGets);
        }

        Row("document GET after a change", DocGets);
        Row("write: PUT 1 KB with If-Match / If-None-Match", Writes);
        if (o.AnyStreams)
        {
            Row("event delivery, after the writer's 2xx", EventsAfterAck, false);
            Row("event delivery, after the writer sent the PUT", EventsAfterSend, false);
            if (o.Servers.Count > 1)
            {
                Row("event delivery across instances, after the 2xx", EventsCross, false);
            }
        }

        Row("change seen by the user's other apps (document fetched), after the 2xx", SeenAfterAck, false);
        if (o.Servers.Count > 1)
        {
            Row("… of those, across instances", SeenCross, false);
        }

        Line();
        Line("Event delivery after the 2xx is negative when the event arrived before the writer had read its answer.");
        Line();
        Line("| process | CPU (% of one core, measured window) | RSS at end (MiB) | max RSS sampled (MiB) | peak RSS, VmHWM (MiB) |");
        Line("|---|---:|---:|---:|---:|");
        foreach (var p in Processes)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"| {p.Name} (pid {p.Pid}{(p.Restarted ? ", restarted during the run" : string.Empty)}) | {(p.Restarted ? "— (restarted)" : F(p.CpuPercent, 0))} | {F(p.RssKib / 1024.0)} | {F(p.MaxRssKib / 1024.0)} | {F(p.PeakKib / 1024.0)} |"));
        }

        Line();
        Line("Client-seen errors (measured window / whole run): " + (Errors.Count == 0 ? "none." : string.Join("; ",
            Errors.Select(e => $"{e.Key}: {N(MeasuredErrors.FirstOrDefault(m => m.Key == e.Key).Value)} / {N(e.Value)}")) + "."));
        Line();
        Line(string.Create(CultureInfo.InvariantCulture,
            $"End state: {N(Verdicts.Values.Sum())} written documents read back: latest acknowledged write stored {N(Verdicts.GetValueOrDefault(Verdict.Latest))}, " +
            $"a later unacknowledged write stored {N(Verdicts.GetValueOrDefault(Verdict.LaterUnacknowledged))}, " +
            $"**acknowledged writes lost {N(Verdicts.GetValueOrDefault(Verdict.Lost))}**, foreign bytes {N(Verdicts.GetValueOrDefault(Verdict.Foreign))}, " +
            $"never acknowledged {N(Verdicts.GetValueOrDefault(Verdict.NothingAcknowledged))}, unreadable {N(Unreadable)}. " +
            $"Apps up to date with every other app's last write: {N(AppsChecked - AppsStale)} of {N(AppsChecked)} ({N(StaleDocs)} stale versions)."));
        UncertainWrites(Line);
        if (o.Chaos)
        {
            Chaos.Write(this, o, Line);
        }

        return sb.ToString();
    }

    private void UncertainWrites(Action<string> line)
    {
        var unclear = Attempts.Where(a => a.Outcome != WriteOutcome.Acked).ToList();
        if (unclear.Count == 0)
        {
            return;
        }

        line("");
        line("Writes without a 2xx, by answer and by what a later read showed was stored:");
        line("");
        line("| answer | writes | stored in full | not stored | overwritten before read | partial / foreign | unresolved |");
        line("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var g in unclear.GroupBy(a => a.Kind).OrderByDescending(g => g.Count()))
        {
            int C(Resolution r) => g.Count(a => a.Resolution == r);
            line(string.Create(CultureInfo.InvariantCulture,
                $"| {g.Key} ({g.First().Outcome.ToString().ToLowerInvariant()}) | {g.Count()} | {C(Resolution.StoredInFull)} | {C(Resolution.NotStored)} | {C(Resolution.Superseded)} | {C(Resolution.Mismatch)} | {C(Resolution.Unresolved)} |"));
        }
    }

    /// <summary>The run's verdicts against the targets it can speak to.</summary>
    private void Judge()
    {
        Targets.Clear();
        var run = Title;
        if (o.Mode == "polling" && !o.Chaos)
        {
            var pollRate = Polls.Count / Math.Max(1, MeasuredSeconds);
            var wantPolls = (double)o.Apps / o.PollIntervalSeconds;
            var writeRate = Writes.Count / Math.Max(1, MeasuredSeconds);
            var errors = MeasuredErrors.Sum(e => e.Value);
            var met = Polls.P99 < 50 && Writes.P99 < 50 && pollRate >= 0.95 * wantPolls && writeRate >= 0.95 * o.WritesPerSecond && errors == 0;
            Targets.Add(("polling", $"polling: {N(o.Apps)} apps ({N(wantPolls)} polls/s) with {N(o.WritesPerSecond)} writes/s at p99 < 50 ms", string.Create(CultureInfo.InvariantCulture,
                $"{N(pollRate)} polls/s p99 {Summary.Ms(Polls.P99)} ms; {N(writeRate)} writes/s p99 {Summary.Ms(Writes.P99)} ms; {N(errors)} errors"), met));
        }

        if (o.Mode == "streams" && !o.Chaos)
        {
            var peak = Processes.Where(p => p.Name != "simulator").Sum(p => p.PeakKib) / 1048576.0;
            var allOpen = MinOpenMeasured >= StreamApps;
            Targets.Add(("streams-rss", $"streams: {N(o.Apps)} open streams in < 4 GiB server RSS", string.Create(CultureInfo.InvariantCulture,
                $"{(allOpen ? "all open throughout" : $"fewest open {N(MinOpenMeasured)}")}; server peak RSS {F(peak, 2)} GiB (sum of instances)"), allOpen && peak < 4));
            var delivery = o.Servers.Count > 1 ? EventsCross : EventsAfterAck;
            Targets.Add(("streams-delivery", $"streams: event delivery p99 < 1 s{(o.Servers.Count > 1 ? " across two instances" : string.Empty)}, {N(o.Apps)} streams", string.Create(CultureInfo.InvariantCulture,
                $"p99 {Summary.Ms(delivery.P99)} ms after the 2xx ({N(delivery.Count)} deliveries); stale apps at the end {N(AppsStale)}"),
                delivery.Count > 0 && delivery.P99 < 1000 && AppsStale == 0));
        }

        if (o.Chaos)
        {
            var lost = Verdicts.GetValueOrDefault(Verdict.Lost) + Verdicts.GetValueOrDefault(Verdict.Foreign);
            Targets.Add(("chaos", "chaos: acknowledged writes lost = 0 and no partial or foreign bytes", string.Create(CultureInfo.InvariantCulture,
                $"{N(lost)} lost or foreign of {N(Verdicts.Values.Sum())} documents; {N(Attempts.Count(a => a.Resolution == Resolution.Mismatch))} unacknowledged writes partial/foreign"),
                lost == 0 && Attempts.All(a => a.Resolution != Resolution.Mismatch) && Unreadable == 0));
        }
    }

    /// <summary>kind, deployment, apps, target, run, measured, met: one line per target.</summary>
    public string TargetLines() => string.Concat(Targets.Select(t =>
        string.Create(CultureInfo.InvariantCulture, $"{t.Kind}\t{o.Deployment}\t{o.Apps}\t{t.Target}\t{Title}\t{t.Measured}\t{(t.Met ? "met" : "not met")}\n")));
}
