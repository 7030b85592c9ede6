using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace UnhostedStore.Storage.Changes;

/// <summary>How a stream starts: the events it missed since its <c>Last-Event-ID</c>, or a reset
/// (with the id it continues from) when they can't be replayed.</summary>
public sealed record StreamStart(IReadOnlyList<ChangeEvent> Replay, string? ResetReason, long ResetId);

/// <summary>
/// This instance's open change streams, grouped per user, and the fan-out of committed changes
/// to them. Each user with streams here has one feed: the last sequence number delivered and its
/// streams (an array replaced on change, read without locks). Changes reach a feed from this
/// instance's commits (<see cref="Committed"/>) and from other instances' (<see cref="Notified"/>,
/// PostgreSQL only); either way one catch-up per user at a time delivers every entry after the
/// last delivered, in order, reading the log only when the entries in hand don't follow on.
/// Delivery never waits: a stream whose queue is full is ended (<see cref="StreamEnd.Overflow"/>).
/// Users without streams here cost nothing: their commits find no feed.
/// </summary>
public sealed partial class ChangeHub(ChangeLogReader log, IOptions<ChangeOptions> options, ILogger<ChangeHub> logger)
{
    /// <summary>Entries read from the log per step of a catch-up.</summary>
    private const int Page = 500;

    private readonly ConcurrentDictionary<string, UserFeed> _feeds = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _perClient = [];
    private readonly Lock _membership = new();
    private int _count;
    private volatile bool _stopping;

    /// <summary>Open streams on this instance.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Open streams of one user on this instance.</summary>
    public int CountFor(string owner) => _feeds.TryGetValue(owner, out var feed) ? feed.Streams.Length : 0;

    public bool IsStopping => _stopping;

    /// <summary>Adds a stream unless a limit is reached; returns the refusal, or null.</summary>
    public string? TryAdmit(ChangeStream stream)
    {
        var limits = options.Value.ChangeStreams;
        lock (_membership)
        {
            if (_stopping)
            {
                return "the server is shutting down";
            }

            var feed = _feeds.TryGetValue(stream.Owner, out var existing) ? existing : null;
            if (feed is not null && feed.Streams.Length >= limits.MaxPerUser)
            {
                return $"this account has {limits.MaxPerUser} change streams open already";
            }

            var fromClient = _perClient.GetValueOrDefault(stream.Client);
            if (fromClient >= limits.MaxPerIp)
            {
                return $"this address has {limits.MaxPerIp} change streams open already";
            }

            if (feed is null)
            {
                feed = new UserFeed(stream.Owner);
                _feeds[stream.Owner] = feed;
            }

            feed.Streams = [.. feed.Streams, stream];
            _perClient[stream.Client] = fromClient + 1;
            _count++;
            LogOpened(logger, stream.Owner, stream.Folder, _count);
            return null;
        }
    }

    public void Remove(ChangeStream stream)
    {
        lock (_membership)
        {
            if (_feeds.TryGetValue(stream.Owner, out var feed) && Array.IndexOf(feed.Streams, stream) >= 0)
            {
                feed.Streams = Array.FindAll(feed.Streams, s => !ReferenceEquals(s, stream));
                if (feed.Streams.Length == 0)
                {
                    _feeds.TryRemove(stream.Owner, out _);
                }

                var fromClient = _perClient.GetValueOrDefault(stream.Client) - 1;
                if (fromClient <= 0)
                {
                    _perClient.Remove(stream.Client);
                }
                else
                {
                    _perClient[stream.Client] = fromClient;
                }

                _count--;
                LogClosed(logger, stream.Owner, stream.Folder, stream.End, _count);
            }
        }
    }

    /// <summary>
    /// Makes an admitted stream live. Under the feed's gate, so no delivery runs meanwhile: the
    /// replay ends exactly where live delivery begins, with nothing lost or sent twice.
    /// </summary>
    public async Task<StreamStart> StartAsync(ChangeStream stream, string? lastEventId, CancellationToken ct)
    {
        if (!_feeds.TryGetValue(stream.Owner, out var feed))
        {
            throw new InvalidOperationException("the stream was not admitted");
        }

        await feed.Gate.WaitAsync(ct);
        try
        {
            await EnsureStartedAsync(feed, ct);
            var last = feed.LastSeen;
            stream.After = last;
            if (lastEventId is null)
            {
                return new StreamStart([], null, last);
            }

            if (!long.TryParse(lastEventId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var after) || after > last)
            {
                // Not an id this storage gave out (another server, or an account made anew).
                return new StreamStart([], "unknown-id", last);
            }

            if (after == last)
            {
                return new StreamStart([], null, last);
            }

            if (last - after > options.Value.ChangeStreams.MaxReplay)
            {
                return new StreamStart([], "too-far-behind", last);
            }

            var replay = await log.ReadAfterAsync(stream.Owner, after, (int)(last - after), ct);
            if (replay.Count == 0 || replay[0].Seq != after + 1)
            {
                // Purged (Storage:ChangeLogRetention): what changed meanwhile can't be told.
                return new StreamStart([], "expired", last);
            }

            return new StreamStart(replay.FindAll(stream.Wants), null, last);
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    /// <summary>This instance committed these entries (in sequence order). Returns at once: the
    /// delivery runs on the thread pool, and only for a user with streams here.</summary>
    public void Committed(string owner, IReadOnlyList<ChangeEvent> changes)
    {
        if (_feeds.TryGetValue(owner, out var feed) && changes.Count > 0)
        {
            _ = Task.Run(() => CatchUpAsync(feed, changes, changes[^1].Seq));
        }
    }

    /// <summary>Some instance committed entries of <paramref name="owner"/> up to <paramref name="seq"/>.</summary>
    public void Notified(string owner, long seq)
    {
        if (_feeds.TryGetValue(owner, out var feed) && seq > Volatile.Read(ref feed.LastSeen))
        {
            _ = Task.Run(() => CatchUpAsync(feed, null, seq));
        }
    }

    /// <summary>Notifications may have been missed (the listener reconnected): every feed reads the log.</summary>
    public void CatchUpAll()
    {
        foreach (var feed in _feeds.Values)
        {
            _ = Task.Run(() => CatchUpAsync(feed, null, long.MaxValue));
        }
    }

    /// <summary>Every open stream, for the heartbeat and the grant checks.</summary>
    public IEnumerable<ChangeStream> Streams()
    {
        foreach (var feed in _feeds.Values)
        {
            foreach (var stream in feed.Streams)
            {
                yield return stream;
            }
        }
    }

    /// <summary>A heartbeat on every stream, and the end of those whose token expired. One pass of
    /// one timer over all streams: a stream costs no timer of its own.</summary>
    public void Heartbeat(DateTimeOffset now)
    {
        foreach (var stream in Streams())
        {
            if (stream.Grant.ExpiresUtc is { } expires && expires <= now)
            {
                stream.Close(StreamEnd.Revoked);
            }
            else
            {
                stream.Offer(null);
            }
        }
    }

    /// <summary>Shutting down: no new streams, and every open one ends with a retry hint.</summary>
    public void Stop()
    {
        _stopping = true;
        foreach (var stream in Streams())
        {
            stream.Close(StreamEnd.Shutdown);
        }
    }

    private async Task EnsureStartedAsync(UserFeed feed, CancellationToken ct)
    {
        if (feed.LastSeen < 0)
        {
            // Everything committed so far predates this instance's first stream of the user.
            Volatile.Write(ref feed.LastSeen, await log.LastSeqAsync(feed.Owner, ct));
        }
    }

    private async Task CatchUpAsync(UserFeed feed, IReadOnlyList<ChangeEvent>? inHand, long upTo)
    {
        await feed.Gate.WaitAsync();
        try
        {
            if (feed.LastSeen < 0)
            {
                await EnsureStartedAsync(feed, CancellationToken.None);
                return;
            }

            if (upTo <= feed.LastSeen)
            {
                return;
            }

            if (inHand is not null && inHand[0].Seq == feed.LastSeen + 1)
            {
                Deliver(feed, inHand);
                return;
            }

            while (true)
            {
                var page = await log.ReadAfterAsync(feed.Owner, feed.LastSeen, Page, CancellationToken.None);
                if (page.Count == 0)
                {
                    return;
                }

                if (page[0].Seq != feed.LastSeen + 1)
                {
                    // Purged before this instance read them: its streams can't be told what changed.
                    foreach (var stream in feed.Streams)
                    {
                        stream.Close(StreamEnd.Gap);
                    }
                }

                Deliver(feed, page);
                if (page.Count < Page)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            // The streams stay open; the next commit or notification of this user reads again.
            LogCatchUpFailed(logger, e);
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    private static void Deliver(UserFeed feed, IReadOnlyList<ChangeEvent> changes)
    {
        var streams = feed.Streams;
        foreach (var change in changes)
        {
            foreach (var stream in streams)
            {
                if (change.Seq > stream.After && stream.Wants(change))
                {
                    stream.Offer(change);
                }
            }
        }

        Volatile.Write(ref feed.LastSeen, changes[^1].Seq);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Change stream opened: {Owner} {Folder} ({Open} open)")]
    private static partial void LogOpened(ILogger logger, string owner, string folder, int open);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Change stream closed: {Owner} {Folder}, {End} ({Open} open)")]
    private static partial void LogClosed(ILogger logger, string owner, string folder, StreamEnd end, int open);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the change log for the change streams; retrying at the next change")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception);

    private sealed class UserFeed(string owner)
    {
        public string Owner { get; } = owner;

        /// <summary>One catch-up (or stream start) of this user at a time.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>The last sequence number delivered; -1 until first read from the database.</summary>
        public long LastSeen = -1;

        /// <summary>Replaced, never changed, under the hub's membership lock.</summary>
        public volatile ChangeStream[] Streams = [];
    }
}
