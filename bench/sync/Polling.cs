using System.Globalization;
using System.Net;
using System.Text.Json;

namespace SyncSim;

/// <summary>Polling as remotestorage.js does it: the synced folder with <c>If-None-Match</c> every
/// interval; when its version changed, the subfolders whose versions changed, then the documents
/// whose versions changed.</summary>
internal sealed partial class Simulation
{
    private const int SlotMs = 10;

    /// <summary>Each app gets a random slot of the interval (so the load is uniform) and polls in
    /// it every interval; one task fires the due slots. An app whose last sync has not ended skips.</summary>
    private async Task PollSchedulerAsync(CancellationToken ct)
    {
        var slots = Math.Max(1, _o.PollIntervalSeconds * 1000 / SlotMs);
        var bySlot = new List<App>[slots];
        for (var s = 0; s < slots; s++)
        {
            bySlot[s] = [];
        }

        var random = new Random(42);
        if (_pollApps.Length == 0)
        {
            return;
        }

        foreach (var app in _pollApps)
        {
            bySlot[random.Next(slots)].Add(app);
        }

        var start = Clock.NowMs;
        long fired = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(SlotMs));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var due = (long)((Clock.NowMs - start) / SlotMs);
                for (; fired <= due; fired++)
                {
                    foreach (var app in bySlot[fired % slots])
                    {
                        if (Interlocked.CompareExchange(ref app.Syncing, 1, 0) == 0)
                        {
                            _ = SyncAsync(app, conditional: true, ct);
                        }
                        else
                        {
                            Interlocked.Increment(ref _pollsSkipped);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>One sync of the app's folder (the caller has set <see cref="App.Syncing"/>).
    /// <paramref name="conditional"/>: with the known version (a poll); without: a full sync (after
    /// a stream's reset).</summary>
    private async Task<bool> SyncAsync(App app, bool conditional, CancellationToken ct)
    {
        try
        {
            var instance = app.Instance;
            using var request = Request(HttpMethod.Get, app, Folder);
            string? known;
            lock (app.Lock)
            {
                known = app.RootETag;
            }

            if (conditional && known is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", "\"" + known + "\"");
            }

            var measured = Measuring;
            var t0 = Clock.NowMs;
            List<(int Writer, string ETag)> changed;
            string? etag;
            try
            {
                using var response = await _clients[instance].SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                if (response.StatusCode == HttpStatusCode.NotModified)
                {
                    if (measured)
                    {
                        Polls.Add(Clock.NowMs - t0);
                    }

                    return true;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Error("poll", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                    return false;
                }

                var body = await response.Content.ReadAsByteArrayAsync(ct);
                if (measured)
                {
                    Polls.Add(Clock.NowMs - t0);
                }

                etag = ETagOf(response);
                changed = [];
                lock (app.Lock)
                {
                    foreach (var (name, version) in Items(body))
                    {
                        if (name.Length > 2 && name[0] == 'w' && name[^1] == '/'
                            && int.TryParse(name.AsSpan(1, name.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var writer)
                            && (!app.Subfolders.TryGetValue(writer, out var had) || had != version))
                        {
                            changed.Add((writer, version));
                        }
                    }
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Error("poll", Net.Describe(e));
                Failover(app, e);
                return false;
            }

            var complete = true;
            foreach (var (writer, version) in changed)
            {
                complete &= await SyncSubfolderAsync(app, instance, writer, version, ct);
            }

            // Only a complete sync moves the folder's version on, so a failed step is retried.
            if (complete)
            {
                lock (app.Lock)
                {
                    app.RootETag = etag;
                }
            }

            return complete;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
            return false;
        }
        finally
        {
            Volatile.Write(ref app.Syncing, 0);
        }
    }

    private async Task<bool> SyncSubfolderAsync(App app, int instance, int writer, string version, CancellationToken ct)
    {
        var folder = string.Create(CultureInfo.InvariantCulture, $"/{_o.Module}/w{writer}/");
        var measured = Measuring;
        var t0 = Clock.NowMs;
        List<(int K, string ETag)> stale = [];
        try
        {
            using var request = Request(HttpMethod.Get, app, folder);
            using var response = await _clients[instance].SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Error("subfolder", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                return false;
            }

            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (measured)
            {
                SubfolderGets.Add(Clock.NowMs - t0);
            }

            lock (app.Lock)
            {
                foreach (var (name, etag) in Items(body))
                {
                    if (name.Length > 1 && name[0] == 'd'
                        && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var k)
                        && (!app.Docs.TryGetValue(DocKey(writer, k), out var had) || had != etag))
                    {
                        if (writer == app.Index && k < app.OwnETags.Length && app.OwnETags[k] == etag)
                        {
                            // Its own write: the app has that version already.
                            app.Docs[DocKey(writer, k)] = etag;
                        }
                        else
                        {
                            stale.Add((k, etag));
                        }
                    }
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Error("subfolder", Net.Describe(e));
            Failover(app, e);
            return false;
        }

        var complete = true;
        foreach (var (k, _) in stale)
        {
            complete &= await FetchDocAsync(app, instance, writer, k, ct);
        }

        if (complete)
        {
            lock (app.Lock)
            {
                app.Subfolders[writer] = version;
            }
        }

        return complete;
    }

    /// <summary>GETs one document of the user's folder, as a sync does for a changed version, and
    /// records when this app saw that version.</summary>
    private async Task<bool> FetchDocAsync(App app, int instance, int writer, int k, CancellationToken ct)
    {
        var path = DocPath(_o.Module, writer, k);
        var measured = Measuring;
        var t0 = Clock.NowMs;
        try
        {
            using var request = Request(HttpMethod.Get, app, path);
            using var response = await _clients[instance].SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                lock (app.Lock)
                {
                    app.Docs.Remove(DocKey(writer, k));
                }

                return true;
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                Error("get", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                return false;
            }

            _ = await response.Content.ReadAsByteArrayAsync(ct);
            var now = Clock.NowMs;
            if (measured)
            {
                DocGets.Add(now - t0);
            }

            var etag = ETagOf(response);
            if (etag is not null)
            {
                lock (app.Lock)
                {
                    app.Docs[DocKey(writer, k)] = etag;
                }

                Seen.Arrived(Deliveries.Key(app.UserName, path, etag), now, instance, measured);
            }

            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Error("get", Net.Describe(e));
            Failover(app, e);
            return false;
        }
    }

    /// <summary>The <c>items</c> of a draft-26 folder listing: name and version (without quotes).</summary>
    public static List<(string Name, string ETag)> Items(byte[] listing)
    {
        var items = new List<(string, string)>();
        using var doc = JsonDocument.Parse(listing);
        if (doc.RootElement.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Object)
        {
            foreach (var item in list.EnumerateObject())
            {
                if (item.Value.TryGetProperty("ETag", out var etag) && etag.GetString() is { } tag)
                {
                    items.Add((item.Name, tag));
                }
            }
        }

        return items;
    }
}
