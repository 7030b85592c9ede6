using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.History;

/// <summary>Point-in-time restore of a folder: "put /notes/ back as it was at T".</summary>
public sealed partial class DocumentHistory
{
    /// <summary>
    /// What restoring <paramref name="folder"/> (recursively) to its state at
    /// <paramref name="asOfUtc"/> would do to each document: one that changed since is set back
    /// to the version it had then (also when it was deleted since), one created since is
    /// deleted, one untouched since stays. Two set-based reads, whatever the folder's size:
    /// the documents under the folder now, and the versions that were current at that moment.
    /// </summary>
    public async Task<RestorePlan> PlanFolderRestoreAsync(string owner, StoragePath folder, DateTime asOfUtc, CancellationToken ct = default)
    {
        RequireFolder(folder);
        var prefix = folder.Value;
        var asOf = asOfUtc.Kind == DateTimeKind.Local ? asOfUtc.ToUniversalTime() : DateTime.SpecifyKind(asOfUtc, DateTimeKind.Utc);

        // SQLite's LIKE ignores case: both results are checked against the prefix again, exactly.
        var now = (await db.Nodes.AsNoTracking()
                .Where(n => n.Owner == owner && !n.IsFolder && n.Path.StartsWith(prefix))
                .Select(n => new { n.Path, n.ETag, n.LastModifiedUtc, n.BornUtc, n.ContentLength })
                .ToListAsync(ct))
            .Where(n => n.Path.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(n => n.Path, StringComparer.Ordinal);

        // A version was current from its CreatedUtc until its ReplacedUtc. Two instances with
        // clocks apart could make two overlap: the later replacement wins.
        var then = (await db.DocumentVersions.AsNoTracking()
                .Where(v => v.Owner == owner && v.Path.StartsWith(prefix) && v.CreatedUtc <= asOf && v.ReplacedUtc > asOf)
                .Select(v => new { v.Id, v.Path, v.ETag, v.ContentLength, v.ReplacedUtc })
                .ToListAsync(ct))
            .Where(v => v.Path.StartsWith(prefix, StringComparison.Ordinal))
            .GroupBy(v => v.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(v => v.ReplacedUtc).ThenByDescending(v => v.Id).First(), StringComparer.Ordinal);

        var changes = new List<RestoreChange>(now.Count + then.Count);
        foreach (var path in now.Keys.Union(then.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var current = now.GetValueOrDefault(path);
            var tag = current is null ? (ETag?)null : ETag.FromStored(current.ETag);
            var doc = StoragePath.FromStored(path);
            if (current is not null && current.LastModifiedUtc <= asOf)
            {
                changes.Add(new RestoreChange(doc, RestoreAction.Unchanged, tag, current.ContentLength, current.ContentLength, null));
            }
            else if (then.TryGetValue(path, out var version))
            {
                changes.Add(new RestoreChange(doc, RestoreAction.Restore, tag, current?.ContentLength, version.ContentLength, version.Id));
            }
            else if (current!.BornUtc <= asOf)
            {
                // It existed then, but no kept version covers that moment: deleting it would
                // be a guess, so it stays as it is and the report says why.
                changes.Add(new RestoreChange(doc, RestoreAction.NotKept, tag, current.ContentLength, current.ContentLength, null));
            }
            else
            {
                changes.Add(new RestoreChange(doc, RestoreAction.Delete, tag, current.ContentLength, null, null));
            }
        }

        return new RestorePlan(owner, folder, asOf, changes);
    }

    /// <summary>Plans (<see cref="PlanFolderRestoreAsync"/>) and carries out a folder restore.</summary>
    public async Task<FolderRestoreReport> RestoreFolderAsync(
        string owner, StoragePath folder, DateTime asOfUtc, string? app, IProgress<FolderRestoreProgress>? progress = null, CancellationToken ct = default) =>
        await ApplyPlanAsync(await PlanFolderRestoreAsync(owner, folder, asOfUtc, ct), app, progress, ct);

    /// <summary>
    /// Carries out a planned folder restore: deletions first, then restores, in transactions of
    /// <see cref="BatchSize"/> writes through the normal write path. Each write requires the
    /// document still to be the version the plan read, so anything changed since is reported
    /// as failed, never overwritten. Cancelling stops between transactions.
    /// </summary>
    public async Task<FolderRestoreReport> ApplyPlanAsync(RestorePlan plan, string? app, IProgress<FolderRestoreProgress>? progress = null, CancellationToken ct = default)
    {
        var label = HistoryLabels.Clip(app);
        var deletes = plan.Changes.Where(c => c.Action == RestoreAction.Delete).ToList();
        var restores = plan.Changes.Where(c => c.Action == RestoreAction.Restore).ToList();
        var total = deletes.Count + restores.Count;
        var done = 0;
        var (restored, deleted) = (0, 0);
        var failed = new List<RestoreFailure>();
        progress?.Report(new FolderRestoreProgress(0, total));

        foreach (var chunk in deletes.Chunk(BatchSize))
        {
            ct.ThrowIfCancellationRequested();
            var batch = chunk.Select(c => (Change: c, Write: new PendingDelete(c.Path, RequestConditions.Expecting(c.CurrentETag)) { App = label })).ToList();
            await writes.CommitAsync(plan.Owner, batch.Select(b => (PendingWrite)b.Write).ToList());
            foreach (var (change, write) in batch)
            {
                if (write.Outcome is StorageOutcome.Deleted)
                {
                    deleted++;
                }
                else
                {
                    var reason = write.Outcome is StorageOutcome.NotFound ? "It was deleted meanwhile." : Refused(change.Path, write.Outcome).Reason!;
                    failed.Add(new RestoreFailure(change.Path, change.Action, reason));
                }
            }

            done += chunk.Length;
            progress?.Report(new FolderRestoreProgress(done, total));
        }

        foreach (var chunk in restores.Chunk(BatchSize))
        {
            ct.ThrowIfCancellationRequested();

            // The bytes of inline versions are read a batch at a time, not all with the plan.
            var ids = chunk.Select(c => c.VersionId!.Value).ToList();
            var sources = await db.DocumentVersions.AsNoTracking()
                .Where(v => v.Owner == plan.Owner && ids.Contains(v.Id))
                .Select(v => new { v.Id, v.ContentType, v.ContentLength, v.BlobKey, v.InlineContent })
                .ToDictionaryAsync(v => v.Id, ct);
            var batch = new List<(RestoreChange Change, PendingPut Write)>(chunk.Length);
            foreach (var change in chunk)
            {
                if (!sources.TryGetValue(change.VersionId!.Value, out var source))
                {
                    failed.Add(new RestoreFailure(change.Path, change.Action, "That version is no longer kept."));
                    continue;
                }

                var write = new PendingPut(change.Path, RequestConditions.Expecting(change.CurrentETag), source.ContentType, source.ContentLength, source.BlobKey, source.InlineContent)
                {
                    App = label,
                    SourceVersionId = source.Id,
                };
                batch.Add((change, write));
            }

            await writes.CommitAsync(plan.Owner, batch.Select(b => (PendingWrite)b.Write).ToList());
            foreach (var (change, write) in batch)
            {
                if (write.Outcome is StorageOutcome.Created or StorageOutcome.Updated)
                {
                    restored++;
                }
                else
                {
                    failed.Add(new RestoreFailure(change.Path, change.Action, Refused(change.Path, write.Outcome).Reason!));
                }
            }

            done += chunk.Length;
            progress?.Report(new FolderRestoreProgress(done, total));
        }

        return new FolderRestoreReport(restored, deleted, plan.Unchanged, failed) { NotKept = plan.NotKept };
    }
}
