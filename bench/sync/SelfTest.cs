using System.Text;

namespace SyncSim;

/// <summary>
/// <c>SyncSim selftest</c>: the simulator's pure logic on fixed inputs (percentiles, the
/// de-chunking SSE parser fed in every split, the write ledger's verdicts), run by bench/sync.sh
/// before each bench so that a wrong figure can't come from a broken counter.
/// </summary>
internal static class SelfTest
{
    public static int Run()
    {
        var failed = new List<string>();
        var passed = 0;
        void Check(bool ok, string what)
        {
            if (ok)
            {
                passed++;
            }
            else
            {
                failed.Add(what);
            }
        }

        // Percentiles: nearest rank.
        float[] hundred = [.. Enumerable.Range(1, 100).Select(i => (float)i)];
        Check(Samples.Percentile(hundred, 50) == 50, "p50 of 1..100 is 50");
        Check(Samples.Percentile(hundred, 99) == 99, "p99 of 1..100 is 99");
        Check(Samples.Percentile([7f], 99) == 7, "p99 of one sample is that sample");
        Check(double.IsNaN(Samples.Percentile([], 50)), "no samples: NaN");

        // The parser, fed a chunked SSE response split at every byte boundary.
        const string body = "retry: 3000\n\nid: 7\nevent: change\ndata: {\"path\":\"/m/w1/d2\",\"etag\":\"abc\",\"contentType\":\"application/json\",\"deleted\":false}\n\n:\n\nevent: reset\ndata: {\"reason\":\"overflow\"}\n\n";
        var chunked = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        foreach (var piece in new[] { body[..20], body[20..90], body[90..] })
        {
            chunked.Append(Encoding.ASCII.GetByteCount(piece).ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n").Append(piece).Append("\r\n");
        }

        chunked.Append("0\r\n\r\n");
        var bytes = Encoding.ASCII.GetBytes(chunked.ToString());
        var allSplitsOk = true;
        for (var split = 1; split < bytes.Length; split++)
        {
            var events = new List<SseEvent>();
            var parser = new SseParser { OnEvent = events.Add };
            parser.Feed(bytes.AsSpan(0, split));
            parser.Feed(bytes.AsSpan(split));
            allSplitsOk &= parser.Status == 200 && parser.Ended && events.Count == 4
                && events[0] == new SseEvent("retry", "3000", null)
                && events[1].Type == "change" && events[1].Id == "7" && events[1].Data.Contains("/m/w1/d2", StringComparison.Ordinal)
                && events[2].Type == ":" && events[3].Type == "reset" && events[3].Id is null;
        }

        Check(allSplitsOk, "chunked SSE parses the same at every split");
        var refused = new SseParser();
        refused.Feed("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 5\r\n\r\nslow!"u8);
        Check(refused.Status == 429 && refused.RetryAfterSeconds == 30, "a refusal's status and Retry-After");

        Check(Simulation.TryParseDoc("/m/w12/d3", "m", out var w, out var k) && w == 12 && k == 3, "document path parsed");
        Check(!Simulation.TryParseDoc("/other/w12/d3", "m", out _, out _), "other module ignored");
        Check(Simulation.Body(3, 4, 5).Length == 1024, "a write's body is 1 KB");

        // The ledger: a lost acknowledged write, a later unacknowledged one stored, a 503 not stored.
        WriteAttempt A(string hash, WriteOutcome outcome) => new() { Path = "/p", Hash = hash, SentUnixMs = 0, Outcome = outcome };
        var acked = new[] { A("h1", WriteOutcome.Acked), A("h2", WriteOutcome.Acked) };
        Check(WriteLedger.Judge(acked, "h2") == Verdict.Latest, "latest acknowledged stored");
        Check(WriteLedger.Judge(acked, "h1") == Verdict.Lost, "an older version is a lost write");
        Check(WriteLedger.Judge(acked, null) == Verdict.Lost, "nothing stored is a lost write");
        Check(WriteLedger.Judge(acked, "zz") == Verdict.Foreign, "unknown bytes are foreign");
        var later = new[] { A("h1", WriteOutcome.Acked), A("h2", WriteOutcome.Uncertain) };
        Check(WriteLedger.Judge(later, "h2") == Verdict.LaterUnacknowledged, "a later unacknowledged write may be stored");
        Check(WriteLedger.Judge(later, "h1") == Verdict.Latest, "… or not");
        var resolved = new[] { A("h1", WriteOutcome.Acked), A("h2", WriteOutcome.Uncertain), A("h3", WriteOutcome.Uncertain) };
        WriteLedger.Resolve(resolved, "h1");
        Check(resolved[1].Resolution == Resolution.NotStored && resolved[2].Resolution == Resolution.NotStored, "uncertain writes not stored");
        var stored = new[] { A("h1", WriteOutcome.Acked), A("h2", WriteOutcome.Uncertain), A("h3", WriteOutcome.Uncertain) };
        WriteLedger.Resolve(stored, "h2");
        Check(stored[1].Resolution == Resolution.StoredInFull && stored[2].Resolution == Resolution.NotStored, "the stored one found");
        var partial = new[] { A("h1", WriteOutcome.Acked), A("h2", WriteOutcome.Uncertain) };
        WriteLedger.Resolve(partial, "junk");
        Check(partial[1].Resolution == Resolution.Mismatch, "foreign bytes after an uncertain write are a mismatch");

        // Recovery of the open-stream count.
        var series = new List<(long, int)> { (0, 10), (100, 10), (200, 4), (300, 8), (400, 10), (500, 10) };
        var (lowest, back) = Chaos.StreamRecovery(series, 150, 1000);
        Check(lowest == 4 && back is { } b && Math.Abs(b - 0.25) < 1e-9, "streams back 0.25 s after the disruption");

        foreach (var f in failed)
        {
            Console.Error.WriteLine("selftest FAILED: " + f);
        }

        Console.WriteLine($"selftest: {passed} passed, {failed.Count} failed");
        return failed.Count == 0 ? 0 : 1;
    }
}
