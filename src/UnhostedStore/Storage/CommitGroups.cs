using System.Runtime.ExceptionServices;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>One user's batch (<see cref="UserWriteQueues"/>) waiting for a group commit.</summary>
public sealed class UserBatch(string owner, IReadOnlyList<PendingWrite> writes)
{
    private readonly TaskCompletionSource<bool> _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Owner { get; } = owner;

    public IReadOnlyList<PendingWrite> Writes { get; } = writes;

    /// <summary>Set by the group that ran this batch when this user's writes failed; the other
    /// users of the group are not affected.</summary>
    public ExceptionDispatchInfo? Error { get; set; }

    /// <summary>Completes with true when this batch must lead the next group, false when it ran.</summary>
    internal Task<bool> Signal => _signal.Task;

    internal void Lead() => _signal.TrySetResult(true);

    internal void Done() => _signal.TrySetResult(false);

    /// <summary>The group this batch leads, chosen by the leader that handed it the slot.</summary>
    internal List<UserBatch>? Group { get; set; }
}

/// <summary>
/// Group commit across users. Each transaction ends in a disk flush, and with many users writing
/// a little each, a transaction per user makes the flushes the limit. So the batches of different
/// users that are ready at the same time share one transaction and one commit
/// (<see cref="WriteBatch.CommitGroupAsync"/>): each user's writes are still checked and applied
/// in arrival order as if alone, and nobody is answered before that commit.
/// <para>At most <see cref="MaxGroups"/> groups run at once. A batch that finds a slot free runs
/// at once (alone, unless more arrive before it starts); the others wait, and when a group ends
/// its leader hands the lead to the oldest waiting batch, which takes the batches behind it along,
/// up to <see cref="MaxWrites"/> writes. So grouping happens only when the writes would queue anyway.</para>
/// </summary>
public sealed class CommitGroups(int maxGroups)
{
    /// <summary>Writes per shared transaction at most (bounds its length and the time it holds
    /// the users' row locks); a single user's batch, itself at most
    /// <see cref="UserWriteQueues.MaxBatch"/>, always fits.</summary>
    public const int MaxWrites = 64;

    private readonly Lock _lock = new();
    private readonly List<UserBatch> _waiting = [];
    private int _running;

    public int MaxGroups { get; } = maxGroups >= 1 ? maxGroups : throw new ArgumentOutOfRangeException(nameof(maxGroups));

    /// <summary>Groups running now (a snapshot, for telemetry and tests).</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Batches waiting for a group now (a snapshot, for telemetry and tests).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>
    /// SQLite has one writer per database file, and a second writer of this process would block a
    /// thread in the driver's busy wait until the first commits: one group at a time. PostgreSQL
    /// runs transactions side by side (row locks only for the same users), so a few groups at once.
    /// </summary>
    public static int GroupsFor(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite ? 1 : 4;

    /// <summary>
    /// Commits <paramref name="writes"/> of <paramref name="owner"/>, possibly in one transaction
    /// with other users' batches. Whoever leads runs the group with its own
    /// <paramref name="runGroup"/> (its own database context); a failure of this user's writes is
    /// thrown here, and only here.
    /// </summary>
    public async Task RunAsync(string owner, IReadOnlyList<PendingWrite> writes, Func<IReadOnlyList<UserBatch>, Task> runGroup)
    {
        var batch = new UserBatch(owner, writes);
        bool lead;
        lock (_lock)
        {
            lead = _running < MaxGroups;
            if (lead)
            {
                _running++;
            }
            else
            {
                _waiting.Add(batch);
            }
        }

        if (!lead)
        {
            lead = await batch.Signal;
        }

        if (lead)
        {
            var group = batch.Group ?? TakeGroup(batch);
            try
            {
                await runGroup(group);
            }
            catch (Exception e)
            {
                var error = ExceptionDispatchInfo.Capture(e);
                foreach (var b in group)
                {
                    b.Error ??= error;
                }
            }

            UserBatch? next = null;
            lock (_lock)
            {
                if (_waiting.Count > 0)
                {
                    // The slot passes on: the next leader is out of the queue before anyone else
                    // looks, and its group is chosen now, under the lock, so a slot freed
                    // meanwhile never splits the batches waiting behind it.
                    next = _waiting[0];
                    _waiting.RemoveAt(0);
                    next.Group = TakeGroupLocked(next);
                }
                else
                {
                    _running--;
                }
            }

            foreach (var b in group)
            {
                if (!ReferenceEquals(b, batch))
                {
                    b.Done();
                }
            }

            next?.Lead();
        }

        batch.Error?.Throw();
    }

    /// <summary>The leader's batch first, then those waiting longest, while they fit.</summary>
    private List<UserBatch> TakeGroup(UserBatch leader)
    {
        lock (_lock)
        {
            return TakeGroupLocked(leader);
        }
    }

    private List<UserBatch> TakeGroupLocked(UserBatch leader)
    {
        var group = new List<UserBatch> { leader };
        var writes = leader.Writes.Count;
        var taken = 0;
        while (taken < _waiting.Count && writes + _waiting[taken].Writes.Count <= MaxWrites)
        {
            writes += _waiting[taken].Writes.Count;
            group.Add(_waiting[taken]);
            taken++;
        }

        _waiting.RemoveRange(0, taken);
        return group;
    }
}
