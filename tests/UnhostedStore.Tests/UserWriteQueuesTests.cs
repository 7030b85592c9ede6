using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class UserWriteQueuesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly UserWriteQueues _queues = new();

    private static StoragePath Parse(string encoded)
    {
        var result = StoragePath.TryParse(encoded, out var path);
        Assert.True(result.Success, $"'{encoded}' should parse: {result.Error}");
        return path!;
    }

    private static PendingPut Put(int id) =>
        new(Parse($"/notes/w{id}"), RequestConditions.None, "text/plain", 1, null, [(byte)id]);

    private static PendingDelete Delete(int id) => new(Parse($"/notes/w{id}"), RequestConditions.None);

    /// <summary>The outcome a batch gives a write: a tag naming the write, so answers can't be mixed up.</summary>
    private static StorageOutcome.Created OutcomeFor(PendingWrite write) =>
        new(ETag.FromStored("tag" + write.Path.Name));

    /// <summary>Records every batch (which write's delegate ran it, and the writes in it, in order).</summary>
    private sealed class Recorder
    {
        private readonly Lock _lock = new();
        private readonly List<(int Leader, string[] Paths)> _batches = [];

        /// <summary>When set, the first batch waits for it before answering.</summary>
        public TaskCompletionSource? FirstBatchGate { get; init; }

        public TaskCompletionSource FirstBatchStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<(int Leader, string[] Paths)> Batches
        {
            get
            {
                lock (_lock)
                {
                    return [.. _batches];
                }
            }
        }

        public Func<IReadOnlyList<PendingWrite>, Task> For(int id) => async batch =>
        {
            bool first;
            lock (_lock)
            {
                first = _batches.Count == 0;
                _batches.Add((id, batch.Select(w => w.Path.Value).ToArray()));
            }

            if (first)
            {
                FirstBatchStarted.TrySetResult();
                if (FirstBatchGate is { } gate)
                {
                    await gate.Task;
                }
            }

            foreach (var write in batch)
            {
                write.Outcome = OutcomeFor(write);
            }
        };
    }

    [Fact]
    public async Task A_single_write_runs_alone_in_a_batch_of_one_and_gets_the_outcome_the_batch_set()
    {
        var recorder = new Recorder();
        var write = Put(1);

        var outcome = await _queues.RunAsync("alice", write, recorder.For(1)).WaitAsync(Timeout);

        Assert.Equal(OutcomeFor(write), outcome);
        var batch = Assert.Single(recorder.Batches);
        Assert.Equal(1, batch.Leader);
        Assert.Equal(["/notes/w1"], batch.Paths);
    }

    [Fact]
    public async Task Writes_arriving_while_a_batch_runs_wait_and_run_together_in_the_next_batch_in_arrival_order()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new Recorder { FirstBatchGate = gate };

        var first = _queues.RunAsync("alice", Put(1), recorder.For(1));
        await recorder.FirstBatchStarted.Task.WaitAsync(Timeout);
        PendingWrite[] waiting = [Put(2), Delete(3), Put(4), Delete(5)];
        var later = waiting.Select((w, i) => _queues.RunAsync("alice", w, recorder.For(i + 2))).ToList();

        // Nobody is answered while the first batch is still open.
        await Task.Delay(50);
        Assert.False(first.IsCompleted);
        Assert.All(later, t => Assert.False(t.IsCompleted));
        Assert.Single(recorder.Batches);

        gate.SetResult();
        await first.WaitAsync(Timeout);
        var outcomes = await Task.WhenAll(later).WaitAsync(Timeout);

        Assert.Equal(waiting.Select(OutcomeFor), outcomes);
        var batches = recorder.Batches;
        Assert.Equal(2, batches.Count);
        Assert.Equal(["/notes/w1"], batches[0].Paths);
        Assert.Equal(["/notes/w2", "/notes/w3", "/notes/w4", "/notes/w5"], batches[1].Paths);
    }

    [Fact]
    public async Task A_batch_never_holds_more_than_MaxBatch_writes_and_all_writes_run_in_arrival_order()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new Recorder { FirstBatchGate = gate };

        var writes = Enumerable.Range(1, 151).Select(Put).ToList();
        var tasks = new List<Task<StorageOutcome>> { _queues.RunAsync("alice", writes[0], recorder.For(1)) };
        await recorder.FirstBatchStarted.Task.WaitAsync(Timeout);
        for (var i = 1; i < writes.Count; i++)
        {
            tasks.Add(_queues.RunAsync("alice", writes[i], recorder.For(i + 1)));
        }

        gate.SetResult();
        var outcomes = await Task.WhenAll(tasks).WaitAsync(Timeout);

        Assert.Equal(writes.Select(OutcomeFor), outcomes);
        var batches = recorder.Batches;
        Assert.Equal(64, UserWriteQueues.MaxBatch);
        Assert.Equal([1, 64, 64, 22], batches.Select(b => b.Paths.Length));
        Assert.All(batches, b => Assert.InRange(b.Paths.Length, 1, UserWriteQueues.MaxBatch));
        Assert.Equal(writes.Select(w => w.Path.Value), batches.SelectMany(b => b.Paths));
    }

    [Fact]
    public async Task Writes_of_two_owners_run_concurrently_and_never_share_a_batch()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var alice = new Recorder { FirstBatchGate = gate };
        var bob = new Recorder();

        var aliceWrite = _queues.RunAsync("alice", Put(1), alice.For(1));
        await alice.FirstBatchStarted.Task.WaitAsync(Timeout);

        // Bob's write is not held up by Alice's open batch, nor put into it.
        var bobWrite = Put(2);
        var bobOutcome = await _queues.RunAsync("bob", bobWrite, bob.For(2)).WaitAsync(Timeout);
        Assert.Equal(OutcomeFor(bobWrite), bobOutcome);
        Assert.False(aliceWrite.IsCompleted);
        Assert.Equal(["/notes/w2"], Assert.Single(bob.Batches).Paths);

        gate.SetResult();
        await aliceWrite.WaitAsync(Timeout);
        Assert.Equal(["/notes/w1"], Assert.Single(alice.Batches).Paths);
    }

    [Fact]
    public async Task An_exception_from_runBatch_reaches_every_write_of_that_batch_and_the_queue_keeps_working()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new Recorder { FirstBatchGate = gate };
        var failure = new TimeoutException("database went away");
        Func<IReadOnlyList<PendingWrite>, Task> failing = _ => Task.FromException(failure);

        var first = _queues.RunAsync("alice", Put(1), recorder.For(1));
        await recorder.FirstBatchStarted.Task.WaitAsync(Timeout);
        var second = _queues.RunAsync("alice", Put(2), failing);
        var third = _queues.RunAsync("alice", Delete(3), failing);
        gate.SetResult();

        Assert.IsType<StorageOutcome.Created>(await first.WaitAsync(Timeout));
        var secondError = await Assert.ThrowsAsync<TimeoutException>(() => second.WaitAsync(Timeout));
        var thirdError = await Assert.ThrowsAsync<TimeoutException>(() => third.WaitAsync(Timeout));
        Assert.Equal("database went away", secondError.Message);
        Assert.Equal("database went away", thirdError.Message);

        var fourth = Put(4);
        var outcome = await _queues.RunAsync("alice", fourth, recorder.For(4)).WaitAsync(Timeout);
        Assert.Equal(OutcomeFor(fourth), outcome);
        Assert.Equal([1, 4], recorder.Batches.Select(b => b.Leader));
    }

    [Fact]
    public async Task An_exception_thrown_synchronously_by_runBatch_also_reaches_the_write_and_frees_the_queue()
    {
        var recorder = new Recorder();
        Func<IReadOnlyList<PendingWrite>, Task> throwing = _ => throw new InvalidDataException("bad row");

        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => _queues.RunAsync("alice", Put(1), throwing).WaitAsync(Timeout));
        Assert.Equal("bad row", error.Message);

        var next = Put(2);
        Assert.Equal(OutcomeFor(next), await _queues.RunAsync("alice", next, recorder.For(2)).WaitAsync(Timeout));
    }

    [Fact]
    public async Task After_a_batch_the_oldest_waiting_write_leads_the_next_one_with_its_own_runBatch()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new Recorder { FirstBatchGate = gate };

        var first = _queues.RunAsync("alice", Put(1), recorder.For(1));
        await recorder.FirstBatchStarted.Task.WaitAsync(Timeout);
        var later = new[] { 2, 3, 4 }.Select(id => _queues.RunAsync("alice", Put(id), recorder.For(id))).ToList();
        gate.SetResult();
        await first.WaitAsync(Timeout);
        await Task.WhenAll(later).WaitAsync(Timeout);

        // The first write's delegate ran only its own batch; write 2 (the oldest waiting) ran the next.
        Assert.Equal([1, 2], recorder.Batches.Select(b => b.Leader));
    }

    [Fact]
    public async Task A_write_its_batch_left_without_an_outcome_fails_with_InvalidOperationException()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new Recorder { FirstBatchGate = gate };

        // The second batch answers only write 2: write 3 is left unanswered.
        Func<IReadOnlyList<PendingWrite>, Task> answersOnlyTheFirst = batch =>
        {
            batch[0].Outcome = OutcomeFor(batch[0]);
            return Task.CompletedTask;
        };

        var first = _queues.RunAsync("alice", Put(1), recorder.For(1));
        await recorder.FirstBatchStarted.Task.WaitAsync(Timeout);
        var second = Put(2);
        var answered = _queues.RunAsync("alice", second, answersOnlyTheFirst);
        var unanswered = _queues.RunAsync("alice", Put(3), answersOnlyTheFirst);
        gate.SetResult();

        await first.WaitAsync(Timeout);
        Assert.Equal(OutcomeFor(second), await answered.WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => unanswered.WaitAsync(Timeout));

        var alone = _queues.RunAsync("alice", Put(4), _ => Task.CompletedTask);
        await Assert.ThrowsAsync<InvalidOperationException>(() => alone.WaitAsync(Timeout));
    }
}
