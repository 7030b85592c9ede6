using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace UnhostedStore.Storage;

/// <summary>A PUT or DELETE waiting for its user's next write transaction.</summary>
public abstract class PendingWrite(StoragePath path, RequestConditions conditions)
{
    private readonly TaskCompletionSource<bool> _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StoragePath Path { get; } = path;

    public RequestConditions Conditions { get; } = conditions;

    /// <summary>Set by the batch that ran it.</summary>
    public StorageOutcome? Outcome { get; set; }

    /// <summary>Who writes: an app's origin (the token's client), or a label such as "import" or
    /// "account page". Recorded on the new version and on the one it replaces or removes.</summary>
    public string? App { get; init; }

    /// <summary>The id of the access token the write came with, if any: the commit checks,
    /// under the user's lock, that it is still valid, and refuses the write if not.</summary>
    public string? TokenId { get; init; }

    /// <summary>Whether the version this write replaces or removes is kept as history (when
    /// <c>Storage:VersionRetentionDays</c> is above 0). Repairs of broken rows keep none.</summary>
    public bool KeepHistory { get; init; } = true;

    /// <summary>Blobs the commit may have left without any row naming them: the replaced or
    /// deleted version's when no history is kept, and those of versions purged to make room
    /// under the quota. Deleted after the commit, each only if no row names it then
    /// (<see cref="BlobRelease"/>).</summary>
    public List<string>? UnusedBlobs { get; private set; }

    internal void AddUnusedBlob(string? key)
    {
        if (key is not null)
        {
            (UnusedBlobs ??= []).Add(key);
        }
    }

    internal ExceptionDispatchInfo? Error { get; set; }

    /// <summary>Forgets what a transaction that was rolled back set, before the write runs again.</summary>
    internal void Reset()
    {
        Outcome = null;
        UnusedBlobs = null;
    }

    /// <summary>Completes with true when this write must run the next batch, false when it ran.</summary>
    internal Task<bool> Signal => _signal.Task;

    internal void Lead() => _signal.TrySetResult(true);

    internal void Done() => _signal.TrySetResult(false);
}

public sealed class PendingPut(StoragePath path, RequestConditions conditions, string contentType, long length, string? blobKey, byte[]? inline)
    : PendingWrite(path, conditions)
{
    public string ContentType { get; } = contentType;

    public long Length { get; } = length;

    public string? BlobKey { get; } = blobKey;

    public byte[]? Inline { get; } = inline;

    /// <summary>A restore: the id of the retained version whose bytes this write makes current
    /// again (<see cref="BlobKey"/> is that version's, shared, not a fresh upload). The commit
    /// checks under the user's lock that the version row still exists, so a purge can never
    /// delete the blob between this write's planning and its commit.</summary>
    public long? SourceVersionId { get; init; }

    /// <summary>A move: the document these bytes (<see cref="BlobKey"/> or <see cref="Inline"/>,
    /// shared, not copied) come from, which the same all-or-nothing batch deletes. Only there does
    /// the commit skip the quota check, as the usage stays the same.</summary>
    public StoragePath? MovedFrom { get; init; }
}

public sealed class PendingDelete(StoragePath path, RequestConditions conditions) : PendingWrite(path, conditions);

/// <summary>
/// Group commit per user. Writes of one user are serialized anyway (the account row lock,
/// <see cref="WriteBatch"/>), and each transaction ends in a disk flush, so one at a time
/// a user could write only as fast as the disk flushes. Instead, the writes that queue up while
/// one transaction runs go together into the next one: each is checked and applied in arrival
/// order, exactly as if alone, and all are answered after that one commit. Nothing is answered
/// before its commit, so durability is unchanged.
/// <para>Whoever finds no batch running leads: it runs batches with its own database context,
/// then hands the lead to the oldest write still waiting, so no request serves others for long.
/// A batch may share its transaction with other users' batches (<see cref="CommitGroups"/>).</para>
/// </summary>
public sealed class UserWriteQueues
{
    /// <summary>Writes per transaction at most (bounds the statement and the lock time).</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentDictionary<string, Queue> _queues = new(StringComparer.Ordinal);

    public async Task<StorageOutcome> RunAsync(string owner, PendingWrite write, Func<IReadOnlyList<PendingWrite>, Task> runBatch)
    {
        var queue = _queues.GetOrAdd(owner, static _ => new Queue());
        bool lead;
        lock (queue)
        {
            queue.Pending.Add(write);
            lead = !queue.Running;
            queue.Running = true;
        }

        if (!lead)
        {
            lead = await write.Signal;
        }

        if (lead)
        {
            List<PendingWrite> batch;
            lock (queue)
            {
                var count = Math.Min(queue.Pending.Count, MaxBatch);
                batch = queue.Pending.GetRange(0, count);
                queue.Pending.RemoveRange(0, count);
            }

            try
            {
                await runBatch(batch);
            }
            catch (Exception e)
            {
                var error = ExceptionDispatchInfo.Capture(e);
                foreach (var w in batch)
                {
                    w.Error = error;
                }
            }

            PendingWrite? next = null;
            lock (queue)
            {
                if (queue.Pending.Count > 0)
                {
                    next = queue.Pending[0];
                }
                else
                {
                    queue.Running = false;
                }
            }

            foreach (var w in batch)
            {
                if (!ReferenceEquals(w, write))
                {
                    w.Done();
                }
            }

            next?.Lead();
        }

        write.Error?.Throw();
        return write.Outcome ?? throw new InvalidOperationException("a write batch left a write unanswered");
    }

    private sealed class Queue
    {
        public List<PendingWrite> Pending { get; } = [];

        public bool Running { get; set; }
    }
}
