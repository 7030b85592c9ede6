using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace SyncSim;

/// <summary>The writers: 1 KB JSON documents, PUT with <c>If-Match</c> (or <c>If-None-Match: *</c>
/// for a new one) as a real app does, at a fixed total rate spread over the writer apps; and
/// the read-back at the end.</summary>
internal sealed partial class Simulation
{
    private const int BodyBytes = 1024;

    /// <summary>Open loop: writes are due at the rate whatever the answers take; a due write goes
    /// to the next writer app that has none in flight (one write at a time per app keeps each
    /// path's order known), and is skipped (counted) when all are busy.</summary>
    private async Task WritePacerAsync(CancellationToken ct)
    {
        if (_writers.Length == 0 || _o.WritesPerSecond <= 0)
        {
            return;
        }

        var start = Clock.NowMs;
        long issued = 0;
        var next = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var due = (long)((Clock.NowMs - start) / 1000.0 * _o.WritesPerSecond);
                for (; issued < due; issued++)
                {
                    var started = false;
                    for (var tries = 0; tries < Math.Min(64, _writers.Length) && !started; tries++)
                    {
                        var app = _writers[next];
                        next = (next + 1) % _writers.Length;
                        if (Interlocked.CompareExchange(ref app.Writing, 1, 0) == 0)
                        {
                            _ = WriteAsync(app);
                            started = true;
                        }
                    }

                    if (!started)
                    {
                        Interlocked.Increment(ref _writesSkipped);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private async Task WaitForWritesAsync()
    {
        var deadline = Clock.NowMs + ((_o.RequestTimeoutSeconds + 5) * 1000.0);
        while (_writers.Any(w => Volatile.Read(ref w.Writing) != 0) && Clock.NowMs < deadline)
        {
            await Task.Delay(100);
        }
    }

    public static byte[] Body(int app, long seq, long sentUnixMs)
    {
        var head = string.Create(CultureInfo.InvariantCulture, $"{{\"app\":{app},\"n\":{seq},\"sent\":{sentUnixMs},\"pad\":\"");
        return Encoding.ASCII.GetBytes(head + new string('x', BodyBytes - head.Length - 2) + "\"}");
    }

    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    private async Task WriteAsync(App app)
    {
        // Not the run's token: a write in flight when the writers stop still gets its answer.
        var ct = _stop.Token;
        try
        {
            var k = app.NextDoc++ % _o.DocsPerWriter;
            var path = DocPath(_o.Module, app.Index, k);
            if (app.Uncertain[k] && !await ResolveAsync(app, k, path, ct))
            {
                return;
            }

            var instance = app.Instance;
            var sentUnix = Clock.UnixMs;
            var body = Body(app.Index, ++app.WriteSeq, sentUnix);
            var attempt = new WriteAttempt { Path = app.UserName + path, Hash = Hash(body), SentUnixMs = sentUnix };
            Ledger.Add(attempt);
            using var request = Request(HttpMethod.Put, app, path);
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (app.OwnETags[k] is { } known)
            {
                request.Headers.TryAddWithoutValidation("If-Match", "\"" + known + "\"");
            }
            else
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", "*");
            }

            var measured = Measuring;
            var t0 = Clock.NowMs;
            try
            {
                using var response = await _clients[instance].SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                var t1 = Clock.NowMs;
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300 && ETagOf(response) is { } etag)
                {
                    attempt.Outcome = WriteOutcome.Acked;
                    attempt.ETag = etag;
                    app.OwnETags[k] = etag;
                    Interlocked.Increment(ref _writesOk);
                    if (measured)
                    {
                        Writes.Add(t1 - t0);
                    }

                    var key = Deliveries.Key(app.UserName, path, etag);
                    Events.Acknowledged(key, t0, t1, instance);
                    Seen.Acknowledged(key, t0, t1, instance);
                    return;
                }

                var kind = status.ToString(CultureInfo.InvariantCulture);
                attempt.Kind = kind;
                Error("write", kind);
                if (status >= 500)
                {
                    attempt.Outcome = WriteOutcome.Uncertain;
                    app.Uncertain[k] = true;
                }
                else
                {
                    // 412: another version is stored (a write whose answer was lost got in):
                    // learn it, as an app would, before writing again.
                    attempt.Outcome = WriteOutcome.Refused;
                    app.Uncertain[k] = true;
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                attempt.Outcome = WriteOutcome.Uncertain;
                attempt.Kind = Net.Describe(e);
                app.Uncertain[k] = true;
                Error("write", attempt.Kind);
                Failover(app, e);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            Volatile.Write(ref app.Writing, 0);
        }
    }

    /// <summary>After a write without a clear answer: read what is stored, which resolves that
    /// write in the ledger and gives the version the next write's If-Match needs.</summary>
    private async Task<bool> ResolveAsync(App app, int k, string path, CancellationToken ct)
    {
        var read = await ReadAsync(app, app.Instance, path, ct);
        if (read is not { } stored)
        {
            return false;
        }

        Ledger.Observe(app.UserName + path, stored.Hash);
        app.OwnETags[k] = stored.ETag;
        app.Uncertain[k] = false;
        return true;
    }

    /// <summary>What is stored at <paramref name="path"/>: (null, null) for none; null when the read failed.</summary>
    private async Task<(string? Hash, string? ETag)?> ReadAsync(App app, int instance, string path, CancellationToken ct)
    {
        try
        {
            using var request = Request(HttpMethod.Get, app, path);
            using var response = await _clients[instance].SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, null);
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                Error("read-back", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                return null;
            }

            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return (Hash(body), ETagOf(response));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Error("read-back", Net.Describe(e));
            Failover(app, e);
            return null;
        }
    }

    /// <summary>Reads every written path back (retrying for a minute while instances restart) and
    /// judges it; returns path -> stored version, the truth the apps' views are checked against.</summary>
    private async Task<Dictionary<string, string?>> ReadBackAsync(Report report)
    {
        var truth = new Dictionary<string, string?>(StringComparer.Ordinal);
        var byPath = _writers.SelectMany(w => Enumerable.Range(0, _o.DocsPerWriter).Select(k => (w, k))).ToArray();
        using var gate = new SemaphoreSlim(32);
        var tasks = byPath.Select(async pair =>
        {
            var (w, k) = pair;
            var path = DocPath(_o.Module, w.Index, k);
            var attempts = Ledger.Attempts(w.UserName + path);
            if (attempts.Count == 0)
            {
                return;
            }

            await gate.WaitAsync();
            try
            {
                (string? Hash, string? ETag)? read = null;
                for (var i = 0; i < 60 && read is null; i++)
                {
                    read = await ReadAsync(w, (w.Instance + i) % _clients.Length, path, CancellationToken.None);
                    if (read is null)
                    {
                        await Task.Delay(1000);
                    }
                }

                if (read is not { } stored)
                {
                    lock (report.Verdicts)
                    {
                        report.Unreadable++;
                    }

                    return;
                }

                Ledger.Observe(w.UserName + path, stored.Hash);
                var verdict = WriteLedger.Judge(Ledger.Attempts(w.UserName + path), stored.Hash);
                lock (report.Verdicts)
                {
                    report.Verdicts[verdict] = report.Verdicts.GetValueOrDefault(verdict) + 1;
                    truth[w.UserName + path] = stored.ETag;
                }
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        return truth;
    }

    /// <summary>Each app's known versions of its user's documents against what is stored: an app
    /// that missed a change (an event lost, a poll that never caught up) is counted stale.</summary>
    private void CheckConvergence(Dictionary<string, string?> truth, Report report)
    {
        var byUser = new Dictionary<int, List<(long Key, string? ETag)>>();
        foreach (var w in _writers)
        {
            if (!byUser.TryGetValue(w.User, out var docs))
            {
                byUser[w.User] = docs = [];
            }

            for (var k = 0; k < _o.DocsPerWriter; k++)
            {
                if (truth.TryGetValue(w.UserName + DocPath(_o.Module, w.Index, k), out var etag))
                {
                    docs.Add((DocKey(w.Index, k), etag));
                }
            }
        }

        foreach (var app in _apps)
        {
            if (!byUser.TryGetValue(app.User, out var docs))
            {
                continue;
            }

            var stale = 0;
            lock (app.Lock)
            {
                foreach (var (key, etag) in docs)
                {
                    var has = app.Docs.TryGetValue(key, out var known) ? known : null;
                    var own = key / _o.DocsPerWriter == app.Index;
                    if (!own && has != etag)
                    {
                        stale++;
                    }
                }
            }

            report.AppsChecked++;
            if (stale > 0)
            {
                report.AppsStale++;
                report.StaleDocs += stale;
            }
        }
    }
}
