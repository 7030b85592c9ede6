using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class CommitGroupsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static List<PendingWrite> Writes(int count) =>
        Enumerable.Range(0, count).Select(i => (PendingWrite)new PendingDelete(StoragePath.FromStored($"/notes/w{i}"), RequestConditions.None)).ToList();

    /// <summary>Records every group (whose delegate ran it, and the owners in it, in order); the
    /// first <see cref="Gated"/> groups wait for <see cref="Gate"/>.</summary>
    private sealed class Recorder
    {
        private readonly Lock _lock = new();
        private readonly List<(string Leader, string[] Owners)> _groups = [];

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Gated { get; init; }

        public IReadOnlyList<(string Leader, string[] Owners)> Groups
        {
            get
            {
                lock (_lock)
                {
                    return [.. _groups];
                }
            }
        }

        public Func<IReadOnlyList<UserBatch>, Task> For(string leader, Action<IReadOnlyList<UserBatch>>? also = null) => async group =>
        {
            int index;
            lock (_lock)
            {
                index = _groups.Count;
                _groups.Add((leader, group.Select(b => b.Owner).ToArray()));
            }

            if (index < Gated)
            {
                await Gate.Task;
            }

            also?.Invoke(group);
        };
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(5);
        }
    }

    [Fact]
    public void Sqlite_gets_one_group_at_a_time_and_PostgreSQL_several()
    {
        Assert.Equal(1, CommitGroups.GroupsFor(DatabaseProvider.Sqlite));
        Assert.InRange(CommitGroups.GroupsFor(DatabaseProvider.Postgres), 2, 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CommitGroups(0));
    }

    [Fact]
    public async Task A_batch_that_finds_a_free_slot_runs_at_once_alone()
    {
        var groups = new CommitGroups(1);
        var recorder = new Recorder();

        await groups.RunAsync("alice", Writes(1), recorder.For("alice")).WaitAsync(Timeout);

        var group = Assert.Single(recorder.Groups);
        Assert.Equal("alice", group.Leader);
        Assert.Equal(["alice"], group.Owners);
        Assert.Equal((0, 0), (groups.Running, groups.Waiting));
    }

    [Fact]
    public async Task Batches_of_different_users_arriving_while_the_slot_is_taken_share_the_next_group_led_by_the_oldest()
    {
        var groups = new CommitGroups(1);
        var recorder = new Recorder { Gated = 1 };

        var first = groups.RunAsync("zed", Writes(1), recorder.For("zed"));
        await WaitUntilAsync(() => recorder.Groups.Count == 1);
        string[] owners = ["carol", "alice", "bob"];
        var later = owners.Select(o => groups.RunAsync(o, Writes(2), recorder.For(o))).ToList();
        await WaitUntilAsync(() => groups.Waiting == 3);

        // Nobody waiting is answered while the slot is taken.
        await Task.Delay(30);
        Assert.All(later, t => Assert.False(t.IsCompleted));

        recorder.Gate.SetResult();
        await first.WaitAsync(Timeout);
        await Task.WhenAll(later).WaitAsync(Timeout);

        var recorded = recorder.Groups;
        Assert.Equal(2, recorded.Count);
        Assert.Equal("carol", recorded[1].Leader);
        Assert.Equal(["carol", "alice", "bob"], recorded[1].Owners);
        Assert.Equal((0, 0), (groups.Running, groups.Waiting));
    }

    [Fact]
    public async Task A_group_never_holds_more_than_MaxWrites_writes_and_batches_keep_their_arrival_order()
    {
        var groups = new CommitGroups(1);
        var recorder = new Recorder { Gated = 1 };
        var sizes = new List<int>();
        var sizesLock = new Lock();
        void Count(IReadOnlyList<UserBatch> group)
        {
            lock (sizesLock)
            {
                sizes.Add(group.Sum(b => b.Writes.Count));
            }
        }

        var first = groups.RunAsync("u-first", Writes(1), recorder.For("u-first", Count));
        await WaitUntilAsync(() => recorder.Groups.Count == 1);

        // 30 users of 5 writes: 12 fit in 64 writes, so groups of 12, 12 and 6 users.
        var owners = Enumerable.Range(0, 30).Select(i => $"u{i:D2}").ToList();
        var later = new List<Task>();
        foreach (var owner in owners)
        {
            later.Add(groups.RunAsync(owner, Writes(5), recorder.For(owner, Count)));
        }

        await WaitUntilAsync(() => groups.Waiting == 30);
        recorder.Gate.SetResult();
        await first.WaitAsync(Timeout);
        await Task.WhenAll(later).WaitAsync(Timeout);

        Assert.Equal(64, CommitGroups.MaxWrites);
        Assert.Equal([1, 60, 60, 30], sizes);
        Assert.Equal(owners, recorder.Groups.Skip(1).SelectMany(g => g.Owners));
        Assert.Equal(["u00", "u12", "u24"], recorder.Groups.Skip(1).Select(g => g.Leader));
    }

    [Fact]
    public async Task With_two_slots_two_groups_run_side_by_side_and_the_rest_wait()
    {
        var groups = new CommitGroups(2);
        var recorder = new Recorder { Gated = 2 };

        var a = groups.RunAsync("a", Writes(1), recorder.For("a"));
        var b = groups.RunAsync("b", Writes(1), recorder.For("b"));
        await WaitUntilAsync(() => recorder.Groups.Count == 2);
        var c = groups.RunAsync("c", Writes(1), recorder.For("c"));
        var d = groups.RunAsync("d", Writes(1), recorder.For("d"));
        await WaitUntilAsync(() => groups.Waiting == 2);
        Assert.Equal(2, groups.Running);

        recorder.Gate.SetResult();
        await Task.WhenAll(a, b, c, d).WaitAsync(Timeout);

        // The first slot to free up hands the lead to c, which takes d along.
        Assert.Equal(3, recorder.Groups.Count);
        Assert.Equal("c", recorder.Groups[2].Leader);
        Assert.Equal(["c", "d"], recorder.Groups[2].Owners);
        Assert.Equal((0, 0), (groups.Running, groups.Waiting));
    }

    [Fact]
    public async Task An_error_set_on_one_users_batch_reaches_only_that_user()
    {
        var groups = new CommitGroups(1);
        var recorder = new Recorder { Gated = 1 };
        var first = groups.RunAsync("first", Writes(1), recorder.For("first"));
        await WaitUntilAsync(() => recorder.Groups.Count == 1);

        Action<IReadOnlyList<UserBatch>> failBob = group =>
        {
            var bob = group.Single(x => x.Owner == "bob");
            bob.Error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(new InvalidDataException("bob's row"));
        };
        var alice = groups.RunAsync("alice", Writes(1), recorder.For("alice", failBob));
        var bobTask = groups.RunAsync("bob", Writes(1), recorder.For("bob", failBob));
        var carol = groups.RunAsync("carol", Writes(1), recorder.For("carol", failBob));
        await WaitUntilAsync(() => groups.Waiting == 3);
        recorder.Gate.SetResult();

        await first.WaitAsync(Timeout);
        await alice.WaitAsync(Timeout);
        await carol.WaitAsync(Timeout);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => bobTask.WaitAsync(Timeout));
        Assert.Equal("bob's row", error.Message);
        Assert.Equal(["alice", "bob", "carol"], recorder.Groups[1].Owners);
    }

    [Fact]
    public async Task An_exception_from_runGroup_reaches_every_batch_of_that_group_and_the_slot_is_freed()
    {
        var groups = new CommitGroups(1);
        var recorder = new Recorder { Gated = 1 };
        var first = groups.RunAsync("first", Writes(1), recorder.For("first"));
        await WaitUntilAsync(() => recorder.Groups.Count == 1);

        Func<IReadOnlyList<UserBatch>, Task> failing = _ => throw new TimeoutException("commit lost");
        var alice = groups.RunAsync("alice", Writes(1), failing);
        var bob = groups.RunAsync("bob", Writes(1), failing);
        await WaitUntilAsync(() => groups.Waiting == 2);
        recorder.Gate.SetResult();

        await first.WaitAsync(Timeout);
        Assert.Equal("commit lost", (await Assert.ThrowsAsync<TimeoutException>(() => alice.WaitAsync(Timeout))).Message);
        Assert.Equal("commit lost", (await Assert.ThrowsAsync<TimeoutException>(() => bob.WaitAsync(Timeout))).Message);

        await groups.RunAsync("carol", Writes(1), recorder.For("carol")).WaitAsync(Timeout);
        Assert.Equal(["carol"], recorder.Groups[^1].Owners);
        Assert.Equal((0, 0), (groups.Running, groups.Waiting));
    }
}
