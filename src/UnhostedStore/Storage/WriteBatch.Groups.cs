using System.Runtime.ExceptionServices;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// The shared transaction of a <see cref="CommitGroups"/> group: the batches of several users,
/// each applied exactly as <see cref="CommitAsync"/> would apply it alone, and one commit (one
/// disk flush) for all of them.
/// </summary>
public sealed partial class WriteBatch
{
    /// <summary>
    /// Runs <paramref name="group"/> in one transaction. Users go in ordinal order of their names,
    /// so every instance takes the account row locks in one global order and two groups never
    /// wait for each other in a cycle. Each user's writes are checked and applied as if alone,
    /// but the statements are shared (<see cref="ApplyGroupAsync"/>). A user whose writes are all
    /// refused saves nothing (the lock's write counter still moves with the others' commit).
    /// <para>If the shared transaction fails before its commit (one user's rows make the database
    /// refuse a statement, or PostgreSQL picks it as a deadlock victim), it is rolled back and
    /// every batch runs again alone, so one user's failure never fails the others' writes.</para>
    /// </summary>
    public async Task CommitGroupAsync(IReadOnlyList<UserBatch> group)
    {
        if (group.Count == 1)
        {
            await CommitAsync(group[0].Owner, group[0].Writes);
            return;
        }

        var none = CancellationToken.None;
        var ordered = group.OrderBy(b => b.Owner, StringComparer.Ordinal).ToList();
        if (ordered.DistinctBy(b => b.Owner, StringComparer.Ordinal).Count() < ordered.Count)
        {
            // Two batches of one user (never from the write queues, which run one per user at a
            // time) would be applied to one account row twice: they run one after the other.
            await CommitAloneAsync(ordered);
            return;
        }

        var published = new List<(string Owner, AppliedBatch Applied)>(ordered.Count);
        var failed = false;
        await using (var tx = await db.Database.BeginTransactionAsync(none))
        {
            try
            {
                published = await ApplyGroupAsync(ordered, allOrNothing: false);
            }
            catch (Exception e) when (!DatabaseUnreachable(e))
            {
                // Disposing the transaction without a commit rolls it back.
                LogGroupFailed(logger, e, ordered.Count);
                failed = true;
            }

            // A failing commit is not retried: it may have reached the disk all the same, so every
            // write of the group gets the error, as a lone batch's writes would. With every write
            // of every user refused there is nothing to commit.
            if (!failed && published.Count > 0)
            {
                await tx.CommitAsync(none);
            }
        }

        if (failed)
        {
            await CommitAloneAsync(ordered);
            return;
        }

        foreach (var (owner, applied) in published)
        {
            PublishChanges(owner, applied.Logged);
        }
    }

    /// <summary>
    /// Every user's part of the shared transaction, with the statements shared too: one takes
    /// all the users' locks (in <paramref name="ordered"/>'s order), two read all their rows, one
    /// checks all their tokens, and one SaveChanges writes what all of them changed. The cost of
    /// a group is then mostly its rows, not its users. A user alone is a group of one; only a
    /// user alone may be <paramref name="allOrNothing"/> (a move).
    /// </summary>
    private async Task<List<(string Owner, AppliedBatch Applied)>> ApplyGroupAsync(List<UserBatch> ordered, bool allOrNothing)
    {
        var none = CancellationToken.None;
        var accounts = await UserLock.TakeManyAsync(db, ordered.Select(b => b.Owner), none);
        var read = await ReadRowsAsync(ordered.Select(b => (b.Owner, b.Writes)).ToList());
        var now = clock.GetUtcNow().UtcDateTime;
        var invalidTokens = await InvalidTokensAsync(ordered.SelectMany(b => b.Writes).ToList(), now);
        var published = new List<(string Owner, AppliedBatch Applied)>(ordered.Count);
        var versions = new List<RetainedVersion>();
        foreach (var batch in ordered)
        {
            var (rows, usage) = read[batch.Owner];
            if (await ApplyReadAsync(accounts[batch.Owner], batch.Writes, rows, usage, invalidTokens, now, allOrNothing) is { } applied)
            {
                published.Add((batch.Owner, applied));
                versions.AddRange(applied.Versions);
            }
        }

        if (published.Count > 0)
        {
            await VersionRows.SaveWithAsync(db, versions, none);
        }

        return published;
    }

    private async Task CommitAloneAsync(List<UserBatch> ordered)
    {
        foreach (var batch in ordered)
        {
            foreach (var write in batch.Writes)
            {
                write.Reset();
            }

            try
            {
                await CommitAsync(batch.Owner, batch.Writes);
            }
            catch (Exception e)
            {
                batch.Error = ExceptionDispatchInfo.Capture(e);
            }
        }
    }

    /// <summary>
    /// Failures that would fail every batch alone just the same (the database is down, or
    /// SQLite's file stayed locked by another process): no point running them one by one. A
    /// PostgreSQL deadlock or serialization failure (class 40) is transient too, but one user
    /// alone can succeed.
    /// </summary>
    private static bool DatabaseUnreachable(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is Npgsql.PostgresException { SqlState: ['4', '0', ..] })
            {
                return false;
            }
        }

        return Unavailability.Describe(e) is not null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write transaction shared by {Users} users failed before its commit; each user's writes run again alone")]
    private static partial void LogGroupFailed(ILogger logger, Exception exception, int users);
}
