using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace UnhostedStore.Storage;

/// <summary>
/// Serialized folder listings, keyed by folder and version. A listing is a pure function of the
/// folder's version: every change below a folder gives it a new, never reused ETag in the same
/// transaction (draft-26 §4). So a listing cached for the version the database holds now is
/// exactly what reading the children would give; each request still reads the folder's current
/// version, so nothing stale is ever served, on any instance. Bounded by
/// <c>Storage:ListingCacheBytes</c>; the least recently used listings go first.
/// </summary>
public sealed class FolderListingCache(IOptions<StorageOptions> options)
{
    private readonly ConcurrentDictionary<(string Owner, string Path), Entry> _entries = new();
    private readonly Lock _trimLock = new();
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public Entry? Find(string owner, string path)
    {
        if (_entries.TryGetValue((owner, path), out var entry))
        {
            entry.LastUsed = Environment.TickCount64;
            return entry;
        }

        return null;
    }

    public void Store(string owner, string path, string etag, ReadOnlyMemory<byte> body)
    {
        var budget = options.Value.ListingCacheBytes;
        var key = (owner, path);
        if (budget <= 0 || body.Length > budget / 4)
        {
            // Too large to keep: an older listing of this folder can never be served again.
            if (_entries.TryRemove(key, out var stale))
            {
                Interlocked.Add(ref _bytes, -stale.Body.Length);
            }

            return;
        }

        var entry = new Entry(etag, body) { LastUsed = Environment.TickCount64 };

        // Not AddOrUpdate: it may run its factories more than once under contention, which
        // would count a body twice. Each successful change here counts exactly once.
        while (true)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                if (_entries.TryUpdate(key, entry, old))
                {
                    Interlocked.Add(ref _bytes, body.Length - old.Body.Length);
                    break;
                }
            }
            else if (_entries.TryAdd(key, entry))
            {
                Interlocked.Add(ref _bytes, body.Length);
                break;
            }
        }

        if (Bytes > budget)
        {
            Trim(budget * 3 / 4);
        }
    }

    private void Trim(long target)
    {
        lock (_trimLock)
        {
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.LastUsed).ToList())
            {
                if (Bytes <= target)
                {
                    return;
                }

                if (_entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, entry)))
                {
                    Interlocked.Add(ref _bytes, -entry.Body.Length);
                }
            }
        }
    }

    public sealed class Entry(string etag, ReadOnlyMemory<byte> body)
    {
        /// <summary>The folder version (as stored) this listing is of.</summary>
        public string ETag { get; } = etag;

        public ReadOnlyMemory<byte> Body { get; } = body;

        public long LastUsed { get; set; }
    }
}
