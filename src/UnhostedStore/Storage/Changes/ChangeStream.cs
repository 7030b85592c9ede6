using System.Net;
using System.Threading.Channels;
using UnhostedStore.Authorization;

namespace UnhostedStore.Storage.Changes;

/// <summary>Why a stream ended, besides its client going away.</summary>
public enum StreamEnd
{
    None,

    /// <summary>It fell <c>Storage:ChangeStreams:QueueLength</c> events behind: <c>event: reset</c>.</summary>
    Overflow,

    /// <summary>Events it should have had are no longer in the log: <c>event: reset</c>.</summary>
    Gap,

    /// <summary>Its token or grant is no longer valid (revoked, expired, deleted).</summary>
    Revoked,

    /// <summary>The server is shutting down: a <c>retry:</c> hint, then the end.</summary>
    Shutdown,

    /// <summary>The request is over (whatever ended it); later reasons are ignored.</summary>
    Over,
}

/// <summary>
/// One open stream: whose, which folder, which grant, and the bounded queue between the fan-out
/// (<see cref="ChangeHub"/>, which never waits) and the request that writes it out. Holds no timer:
/// heartbeats come from the hub's one ticker.
/// </summary>
public sealed class ChangeStream : IDisposable
{
    private readonly Channel<ChangeEvent?> _queue;
    private readonly CancellationTokenSource _ending = new();
    private int _end;

    public ChangeStream(string owner, StoragePath folder, StorageGrant grant, IPAddress client, int queueLength)
    {
        Owner = owner;
        Folder = folder.Value;
        Grant = grant;
        Client = client;

        // Only folders whose module is unknown (the root, /public/) span several scopes.
        _filterScopes = folder.Module is null;
        _queue = Channel.CreateBounded<ChangeEvent?>(new BoundedChannelOptions(queueLength)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    private readonly bool _filterScopes;

    public string Owner { get; }

    public string Folder { get; }

    public StorageGrant Grant { get; }

    public IPAddress Client { get; }

    /// <summary>Events up to this sequence number were delivered or replayed (or predate the
    /// stream); the fan-out skips them. <see cref="long.MaxValue"/> until the stream is ready.</summary>
    internal long After { get; set; } = long.MaxValue;

    public StreamEnd End => (StreamEnd)Volatile.Read(ref _end);

    /// <summary>Cancelled when the server ends the stream: stops a write stuck on a slow client.</summary>
    public CancellationToken Ending => _ending.Token;

    public ChannelReader<ChangeEvent?> Reader => _queue.Reader;

    /// <summary>Whether an event of this user is for this stream: under its folder, within its scopes.</summary>
    public bool Wants(ChangeEvent change) =>
        change.Path.StartsWith(Folder, StringComparison.Ordinal)
        && (!_filterScopes || Grant.Scopes.Allows(StoragePath.FromStored(change.Path).Module, write: false));

    /// <summary>Queues an event, or a heartbeat for null; never waits. A full queue ends the stream.</summary>
    public void Offer(ChangeEvent? change)
    {
        if (!_queue.Writer.TryWrite(change))
        {
            Close(StreamEnd.Overflow);
        }
    }

    /// <summary>Ends the stream for <paramref name="reason"/>; the first reason wins.</summary>
    public void Close(StreamEnd reason)
    {
        if (Interlocked.CompareExchange(ref _end, (int)reason, (int)StreamEnd.None) == (int)StreamEnd.None)
        {
            _queue.Writer.TryComplete();
            try
            {
                _ending.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request already ended: nothing is left to stop.
            }
        }
    }

    /// <summary>When the request has ended; a later <see cref="Close"/> does nothing.</summary>
    public void Dispose()
    {
        Interlocked.CompareExchange(ref _end, (int)StreamEnd.Over, (int)StreamEnd.None);
        _ending.Dispose();
    }
}
