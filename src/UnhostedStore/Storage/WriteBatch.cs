using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// The group commit: one transaction applies a batch of one user's writes in arrival order,
/// each checked as if alone (draft-26 §4–§6: clashes, preconditions, the quota, every
/// ancestor's new version, the usage counters); the batches of several users may share it
/// (<see cref="CommitGroupAsync"/>).
/// </summary>
public sealed partial class WriteBatch(
    StorageDbContext db, Quotas quotas, IOptions<StorageOptions> options, TimeProvider clock, Changes.ChangeHub changes, ILogger<WriteBatch> logger)
{
    /// <summary>
    /// One write transaction for a batch of one user's writes (<see cref="UserWriteQueues"/>):
    /// lock the account row, read every row the writes touch, apply them in order (each sees
    /// the ones before it), commit once. A write that fails its checks changes nothing.
    /// <para>With <paramref name="allOrNothing"/> (a move), the first write refused rolls the whole
    /// transaction back: it keeps its own outcome and every other write of the batch gets
    /// <see cref="StorageOutcome.NotApplied"/>.</para>
    /// </summary>
    public async Task CommitAsync(string owner, IReadOnlyList<PendingWrite> batch, bool allOrNothing = false)
    {
        // The commit must not be torn by a client that goes away after its upload finished.
        var none = CancellationToken.None;
        await using var tx = await db.Database.BeginTransactionAsync(none);
        var applied = await ApplyAsync(owner, batch, allOrNothing);
        if (applied is null)
        {
            // Every write was refused (or a move rolled back): no commit, so not even the account
            // row's write counter moves.
            return;
        }

        await tx.CommitAsync(none);
        PublishChanges(owner, applied.Logged);
    }

    /// <summary>
    /// One user's part of a write transaction the caller owns: a group of one
    /// (<see cref="ApplyGroupAsync"/>). Returns null when nothing is to be committed for this
    /// user (every write refused, or an all-or-nothing batch refused; its changes are then
    /// dropped from the context).
    /// </summary>
    private async Task<AppliedBatch?> ApplyAsync(string owner, IReadOnlyList<PendingWrite> batch, bool allOrNothing)
    {
        var applied = await ApplyGroupAsync([new UserBatch(owner, batch)], allOrNothing);
        return applied.Count == 0 ? null : applied[0].Applied;
    }

    /// <summary>
    /// Applies one user's writes in order to the rows read for them, under the user's lock;
    /// the caller saves. Null when nothing is to be committed for this user.
    /// </summary>
    private async Task<AppliedBatch?> ApplyReadAsync(
        StorageAccount account, IReadOnlyList<PendingWrite> batch, WriteRows rows, Dictionary<string, ModuleUsage> usage,
        HashSet<string> invalidTokens, DateTime now, bool allOrNothing)
    {
        var history = new BatchHistory(account, options.Value.KeepsHistory, await LiveSourcesAsync(account.UserName, batch, CancellationToken.None));
        foreach (var write in batch)
        {
            write.Outcome = write switch
            {
                // draft-26 §9 (RFC 6750 §3.1): a token revoked before this commit writes nothing.
                { TokenId: { } token } when invalidTokens.Contains(token) => new StorageOutcome.Unauthorized(TokenSent: true),
                PendingPut put => await ApplyPutAsync(rows, account, usage, history, put, now, allOrNothing && put.MovedFrom is not null),
                PendingDelete delete => ApplyDelete(rows, account, usage, history, delete, now),
                _ => throw new InvalidOperationException("unknown write"),
            };
            if (allOrNothing && !IsApplied(write.Outcome))
            {
                // Returning without a commit rolls everything back, history purged for room
                // included; the tracked rows hold the undone changes, so they are dropped too.
                db.ChangeTracker.Clear();
                foreach (var other in batch)
                {
                    if (!ReferenceEquals(other, write))
                    {
                        other.Outcome = new StorageOutcome.NotApplied(write.Path, write.Outcome);
                    }
                }

                return null;
            }
        }

        if (!batch.Any(w => IsApplied(w.Outcome)))
        {
            return null;
        }

        rows.RemoveGone();
        foreach (var module in usage.Values)
        {
            if (module.DocumentCount <= 0)
            {
                db.ModuleUsage.Remove(module);
            }
        }

        return new AppliedBatch(LogChanges(account, batch, now), history.Added);
    }

    /// <summary>What a user's applied batch publishes once its transaction committed.</summary>
    private sealed record AppliedBatch(List<Changes.ChangeEvent>? Logged, List<RetainedVersion> Versions);

    /// <summary>Whether a write changed something (and its batch commits it).</summary>
    public static bool IsApplied(StorageOutcome? outcome) => outcome is StorageOutcome.Created or StorageOutcome.Updated or StorageOutcome.Deleted;

    /// <param name="moved">A move's put, whose source the same all-or-nothing batch deletes: the
    /// usage does not change, so the quota has nothing to say (someone at their quota can still
    /// tidy up).</param>
    private async Task<StorageOutcome> ApplyPutAsync(WriteRows rows, StorageAccount account, Dictionary<string, ModuleUsage> usage, BatchHistory history, PendingPut put, DateTime now, bool moved)
    {
        var path = put.Path;
        var ancestors = path.Ancestors();

        // draft-26 §4: a name is either a document or a folder, anywhere along the path.
        foreach (var a in ancestors)
        {
            if (!a.IsRoot && rows.Find(a.AsOtherKind().Value) is not null)
            {
                return new StorageOutcome.Conflict($"'{a.AsOtherKind().Value}' is a document");
            }
        }

        if (rows.Find(path.AsOtherKind().Value) is not null)
        {
            return new StorageOutcome.Conflict($"'{path.Value}' is a folder");
        }

        var existing = rows.Find(path.Value);
        var current = existing is null ? (ETag?)null : ETag.FromStored(existing.ETag);
        if (put.Conditions.WriteFails(current))
        {
            return new StorageOutcome.PreconditionFailed(current);
        }

        if (put.SourceVersionId is { } source && !history.LiveSources.Contains(source))
        {
            // A restore whose version was purged meanwhile: its blob may be gone already.
            return new StorageOutcome.NotFound();
        }

        // The account row is locked, so this check and the usage update below are atomic:
        // concurrent writers can never take the user past the quota together.
        var quota = quotas.Effective(account.QuotaBytes);
        var usedAfter = account.UsedBytes + put.Length - (existing?.ContentLength ?? 0);
        if (!moved && Quotas.Exceeded(quota, account.UsedBytes, usedAfter))
        {
            return new StorageOutcome.InsufficientStorage(quota);
        }

        // Retained versions count too, but give way: the oldest are purged to make room, so
        // with history alone in the way the write still succeeds.
        var keep = existing is not null && history.Keeps(put);
        var historyAfter = account.HistoryBytes + (keep ? existing!.ContentLength : 0);
        if (!moved && Quotas.Exceeded(quota, account.UsedBytes + account.HistoryBytes, usedAfter + historyAfter))
        {
            var need = Math.Min(usedAfter + historyAfter - quota, usedAfter + historyAfter - account.UsedBytes - account.HistoryBytes);
            var freed = await PurgeOldestAsync(account.UserName, history, put, need);
            if (freed < need && keep)
            {
                // Even the version this write replaces does not fit: it is not kept.
                keep = false;
            }
        }

        var etag = ETag.New();
        if (existing is null)
        {
            var doc = rows.Create(path.Value);
            doc.ParentPath = path.Parent!.Value;
            doc.IsFolder = false;
            doc.ChildCount = 0;
            doc.BornUtc = now;
            SetDocument(doc);
            account.DocumentCount++;
            account.UsedBytes += put.Length;
            AddModuleUsage(usage, account, path, put.Length, 1);
        }
        else
        {
            if (keep)
            {
                Retain(history, existing, put.App, deleted: false, now);
            }
            else
            {
                // The batch may already have replaced a blob of this document: that one is unused too.
                put.AddUnusedBlob(existing.BlobKey);
            }

            account.UsedBytes += put.Length - existing.ContentLength;
            AddModuleUsage(usage, account, path, put.Length - existing.ContentLength, 0);
            SetDocument(existing);
        }

        // draft-26 §4: every ancestor up to the root gets a new version; missing ones are
        // created, and each new child bumps its parent's child count.
        var childIsNew = existing is null;
        for (var i = ancestors.Count - 1; i >= 0; i--)
        {
            var folder = ancestors[i];
            if (rows.Find(folder.Value) is { } row)
            {
                row.ETag = ETag.New().Value;
                row.LastModifiedUtc = now;
                if (childIsNew)
                {
                    row.ChildCount++;
                }

                childIsNew = false;
            }
            else
            {
                row = rows.Create(folder.Value);
                row.ParentPath = folder.Parent?.Value;
                row.IsFolder = true;
                row.ETag = ETag.New().Value;
                row.LastModifiedUtc = now;
                row.ContentType = null;
                row.ContentLength = 0;
                row.BlobKey = null;
                row.InlineContent = null;
                row.ChildCount = 1;
                childIsNew = true;
            }
        }

        return existing is null ? new StorageOutcome.Created(etag) : new StorageOutcome.Updated(etag);

        void SetDocument(StorageNode doc)
        {
            doc.ETag = etag.Value;
            doc.LastModifiedUtc = now;
            doc.ContentType = put.ContentType;
            doc.ContentLength = put.Length;
            doc.BlobKey = put.BlobKey;
            doc.InlineContent = put.Inline;
            doc.ModifiedBy = put.App;
        }
    }

    private StorageOutcome ApplyDelete(WriteRows rows, StorageAccount account, Dictionary<string, ModuleUsage> usage, BatchHistory history, PendingDelete delete, DateTime now)
    {
        var path = delete.Path;
        if (rows.Find(path.Value) is not { } doc)
        {
            // RFC 9110 §13.1.1 would allow 412 for If-Match on a missing document;
            // the protocol's answer for a missing document is 404 (draft-26 §5).
            return new StorageOutcome.NotFound();
        }

        var deleted = ETag.FromStored(doc.ETag);
        if (delete.Conditions.WriteFails(deleted))
        {
            return new StorageOutcome.PreconditionFailed(deleted);
        }

        // A deletion moves the version to the trash: the account's total stays the same, so
        // the quota has nothing to say here.
        if (history.Keeps(delete))
        {
            Retain(history, doc, delete.App, deleted: true, now);
        }
        else
        {
            delete.AddUnusedBlob(doc.BlobKey);
        }

        rows.Remove(doc);
        account.DocumentCount--;
        account.UsedBytes -= doc.ContentLength;
        AddModuleUsage(usage, account, path, -doc.ContentLength, -1);

        // Walk up: a folder left without children disappears (draft-26 §4), every other
        // ancestor gets a new version.
        var ancestors = path.Ancestors();
        var childRemoved = true;
        for (var i = ancestors.Count - 1; i >= 0; i--)
        {
            if (rows.Find(ancestors[i].Value) is not { } folder)
            {
                continue;
            }

            if (childRemoved)
            {
                folder.ChildCount--;
            }

            if (folder.ChildCount <= 0)
            {
                rows.Remove(folder);
                childRemoved = true;
            }
            else
            {
                folder.ETag = ETag.New().Value;
                folder.LastModifiedUtc = now;
                childRemoved = false;
            }
        }

        return new StorageOutcome.Deleted(deleted);
    }
}
