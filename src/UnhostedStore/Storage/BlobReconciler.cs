using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using UnhostedStore.Blobs;
using UnhostedStore.Configuration;
using UnhostedStore.Persistence;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Storage;

/// <summary>What <c>reconcile</c> (or the sweeper) found, and what it repaired.</summary>
public sealed record ReconcileReport(
    int BlobsSeen,
    IReadOnlyList<string> OrphanBlobs,
    int OrphansRemoved,
    IReadOnlyList<(string Owner, string Path, string BlobKey)> MissingBlobs,
    int RowsRemoved,
    IReadOnlyList<UsageDrift> UsageDrifts,
    int UsageRepaired)
{
    /// <summary>Retained versions (history and trash) whose blob is gone.</summary>
    public IReadOnlyList<MissingVersionBlob> MissingVersionBlobs { get; init; } = [];

    /// <summary>How many of <see cref="MissingVersionBlobs"/> the repair removed.</summary>
    public int VersionsRemoved { get; init; }
}

/// <summary>A retained version whose blob is missing.</summary>
public sealed record MissingVersionBlob(string Owner, string Path, long VersionId, string BlobKey);

/// <summary>Recorded vs. actual usage of an owner (<paramref name="Module"/> null) or of one of
/// the owner's modules (<c>""</c> is the top level). For an owner, the bytes of retained versions
/// (history) are compared too; modules have none.</summary>
public sealed record UsageDrift(
    string Owner, long RecordedBytes, long ActualBytes, long RecordedDocuments, long ActualDocuments, string? Module = null, long RecordedHistoryBytes = 0, long ActualHistoryBytes = 0);

/// <summary>How far one stage of a reconcile run got: <paramref name="Total"/> is null while it
/// is not known yet (listing a blob store), and a stage's last report has <c>Done == Total</c>.</summary>
public sealed record ReconcileProgress(string Stage, int Done, int? Total);

/// <summary>
/// Finds drift between metadata and blobs, both ways, and usage counters that disagree with the
/// rows: blobs no row references (left by a crash between upload and commit, or a failed delete),
/// rows whose blob is gone, and accounts whose counters are off. Retained versions (history and
/// trash) are rows too: their blobs are referenced, never orphans. Temp/spool files a killed
/// process left mid-upload are reported among the orphans as <c>tmp/&lt;file name&gt;</c>. With repair it removes the
/// orphans, deletes the broken rows through the normal delete path (so folders and usage stay
/// right), and rewrites drifted counters.
/// </summary>
public sealed partial class BlobReconciler(StorageDbContext db, IBlobStore blobs, DocumentWrites storage, BlobHolds holds, TimeProvider clock)
{
    private const int Page = 500;

    public Task<ReconcileReport> RunAsync(bool repair, TimeSpan orphanGrace, bool checkRows, CancellationToken ct) =>
        RunAsync(repair, orphanGrace, checkRows, progress: null, ct);

    /// <summary>As above, telling <paramref name="progress"/> (synchronously, on every step; it
    /// decides how often to show anything) how far each stage got: on a large store a run takes
    /// minutes, and an operator should see it is moving.</summary>
    public async Task<ReconcileReport> RunAsync(bool repair, TimeSpan orphanGrace, bool checkRows, IProgress<ReconcileProgress>? progress, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - orphanGrace;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var orphans = new List<string>();
        var batch = new List<BlobEntry>(Page);
        progress?.Report(new ReconcileProgress("listing blobs", 0, null));
        await foreach (var blob in blobs.ListAsync(ct))
        {
            seen.Add(blob.Key);
            batch.Add(blob);
            if (batch.Count == Page)
            {
                orphans.AddRange(await UnreferencedAsync(batch, cutoff, ct));
                batch.Clear();
                progress?.Report(new ReconcileProgress("listing blobs", seen.Count, null));
            }
        }

        orphans.AddRange(await UnreferencedAsync(batch, cutoff, ct));
        progress?.Report(new ReconcileProgress("listing blobs", seen.Count, seen.Count));

        // A process killed mid-upload leaves its staged temp/spool file, which no listing of
        // blobs shows; it is reported (and removed) as an orphan too.
        var staleTemp = blobs.ListStaleTempFiles(cutoff).Select(t => t.Key).ToList();

        var removed = 0;
        if (repair && orphans.Count + staleTemp.Count > 0)
        {
            var done = 0;
            var total = orphans.Count + staleTemp.Count;
            progress?.Report(new ReconcileProgress("removing orphan blobs", 0, total));
            foreach (var key in orphans)
            {
                // Read the references again right before deleting: a commit may have claimed it.
                // Then the holds, in that order: an export whose snapshot began after the
                // re-read cannot name the blob, and one that began before holds it by now. An
                // orphan no longer says whose it was, so any hold keeps every orphan.
                if ((await BlobRelease.ReferencedAsync(db, [key], ct)).Count == 0 && !await holds.IsHeldAsync(null, ct))
                {
                    await blobs.DeleteAsync(key, ct);
                    removed++;
                }

                progress?.Report(new ReconcileProgress("removing orphan blobs", ++done, total));
            }

            foreach (var name in staleTemp)
            {
                blobs.DeleteTempFile(name);
                removed++;
                progress?.Report(new ReconcileProgress("removing orphan blobs", ++done, total));
            }
        }

        orphans.AddRange(staleTemp);

        var missing = new List<(string, string, string)>();
        var rowsRemoved = 0;
        var drifts = new List<UsageDrift>();
        var usageRepaired = 0;
        List<MissingVersionBlob> missingVersions = [];
        var versionsRemoved = 0;
        if (checkRows)
        {
            var rows = await db.Nodes.AsNoTracking().Where(n => n.BlobKey != null).Select(n => new { n.Owner, n.Path, n.BlobKey, n.ETag }).ToListAsync(ct);
            var versions = new Dictionary<(string, string), string>();
            var checkedRows = 0;
            progress?.Report(new ReconcileProgress("checking rows for missing blobs", 0, rows.Count));
            foreach (var row in rows)
            {
                // A row committed after the listing started points at a blob the listing may not
                // have seen: ask the store about that one key before calling it missing.
                if (!seen.Contains(row.BlobKey!) && !await ExistsAsync(row.BlobKey!, ct))
                {
                    missing.Add((row.Owner, row.Path, row.BlobKey!));
                    versions[(row.Owner, row.Path)] = row.ETag;
                }

                // Most rows cost only a set lookup: report a page at a time, not every row.
                if (++checkedRows % Page == 0 || checkedRows == rows.Count)
                {
                    progress?.Report(new ReconcileProgress("checking rows for missing blobs", checkedRows, rows.Count));
                }
            }

            if (repair && missing.Count > 0)
            {
                var done = 0;
                progress?.Report(new ReconcileProgress("removing rows whose blob is missing", 0, missing.Count));
                foreach (var (owner, path, _) in missing)
                {
                    // Only the version whose blob is gone: a document written since is left alone.
                    var headers = new HeaderDictionary { [HeaderNames.IfMatch] = ETag.FromStored(versions[(owner, path)]).Quoted };
                    _ = RequestConditions.TryParse(headers, out var onlyThatVersion, out _);
                    // A broken version is not worth keeping as history: its bytes are gone.
                    if (await storage.DeleteAsync(owner, StoragePath.FromStored(path), onlyThatVersion, ct, HistoryLabels.Reconcile, keepHistory: false) is StorageOutcome.Deleted)
                    {
                        rowsRemoved++;
                    }

                    progress?.Report(new ReconcileProgress("removing rows whose blob is missing", ++done, missing.Count));
                }
            }

            (missingVersions, versionsRemoved) = await CheckVersionBlobsAsync(seen, repair, progress, ct);
            (drifts, usageRepaired) = await CheckUsageAsync(repair, progress, ct);
        }

        return new ReconcileReport(seen.Count, orphans, removed, missing, rowsRemoved, drifts, usageRepaired)
        {
            MissingVersionBlobs = missingVersions,
            VersionsRemoved = versionsRemoved,
        };
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        try
        {
            await using var body = await blobs.OpenReadAsync(key, null, ct);
            return true;
        }
        catch (BlobNotFoundException)
        {
            return false;
        }
    }

    private async Task<List<string>> UnreferencedAsync(List<BlobEntry> batch, DateTime cutoff, CancellationToken ct)
    {
        var old = batch.Where(b => b.LastModifiedUtc < cutoff).Select(b => b.Key).ToList();
        if (old.Count == 0)
        {
            return [];
        }

        var set = await BlobRelease.ReferencedAsync(db, old, ct);
        return old.Where(k => !set.Contains(k)).ToList();
    }

    /// <summary>
    /// Recomputes usage from the document rows (a scan: this is the check of the incremental
    /// counters, not how they are kept) and compares it with each account's totals and its
    /// per-module rows. Repair rewrites an owner's counters under the account's row lock.
    /// </summary>
    private async Task<(List<UsageDrift>, int)> CheckUsageAsync(bool repair, IProgress<ReconcileProgress>? progress, CancellationToken ct)
    {
        progress?.Report(new ReconcileProgress("checking usage counters", 0, null));
        var actual = await ActualUsageAsync(owner: null, ct);
        var history = await ActualHistoryAsync(owner: null, ct);
        var accounts = await db.Accounts.AsNoTracking().ToListAsync(ct);
        var modules = await db.ModuleUsage.AsNoTracking().ToListAsync(ct);
        var drifts = new List<UsageDrift>();
        foreach (var account in accounts)
        {
            var (bytes, documents) = actual.GetValueOrDefault((account.UserName, null));
            var historyBytes = history.GetValueOrDefault(account.UserName);
            if (bytes != account.UsedBytes || documents != account.DocumentCount || historyBytes != account.HistoryBytes)
            {
                drifts.Add(new UsageDrift(account.UserName, account.UsedBytes, bytes, account.DocumentCount, documents, RecordedHistoryBytes: account.HistoryBytes, ActualHistoryBytes: historyBytes));
            }
        }

        var recorded = modules.ToDictionary(m => (Owner: m.Owner, Module: (string?)m.Module), m => (m.UsedBytes, m.DocumentCount));
        foreach (var key in actual.Keys.Where(k => k.Module is not null).Union(recorded.Keys))
        {
            var (bytes, documents) = actual.GetValueOrDefault(key);
            var (recordedBytes, recordedDocuments) = recorded.GetValueOrDefault(key);
            if (bytes != recordedBytes || documents != recordedDocuments)
            {
                drifts.Add(new UsageDrift(key.Owner, recordedBytes, bytes, recordedDocuments, documents, key.Module));
            }
        }

        progress?.Report(new ReconcileProgress("checking usage counters", accounts.Count, accounts.Count));
        var repaired = 0;
        var drifted = drifts.Select(d => d.Owner).Distinct(StringComparer.Ordinal).ToList();
        if (repair && drifted.Count > 0)
        {
            progress?.Report(new ReconcileProgress("repairing usage counters", 0, drifted.Count));
            foreach (var owner in drifted)
            {
                // Recomputed under the account's row lock, so no write can interleave.
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                await db.Accounts.Where(x => x.UserName == owner).ExecuteUpdateAsync(s => s.SetProperty(x => x.WriteVersion, x => x.WriteVersion + 1), ct);
                var sums = await ActualUsageAsync(owner, ct);
                var (bytes, documents) = sums.GetValueOrDefault((owner, null));
                var historyBytes = (await ActualHistoryAsync(owner, ct)).GetValueOrDefault(owner);
                await db.Accounts.Where(x => x.UserName == owner).ExecuteUpdateAsync(
                    s => s.SetProperty(x => x.UsedBytes, bytes).SetProperty(x => x.DocumentCount, documents).SetProperty(x => x.HistoryBytes, historyBytes), ct);
                await db.ModuleUsage.Where(m => m.Owner == owner).ExecuteDeleteAsync(ct);
                foreach (var ((_, module), (moduleBytes, moduleDocuments)) in sums.Where(kv => kv.Key.Module is not null))
                {
                    db.ModuleUsage.Add(new ModuleUsage { Owner = owner, Module = module!, UsedBytes = moduleBytes, DocumentCount = moduleDocuments });
                }

                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                db.ChangeTracker.Clear();
                repaired++;
                progress?.Report(new ReconcileProgress("repairing usage counters", repaired, drifted.Count));
            }
        }

        return (drifts, repaired);
    }

    /// <summary>Bytes and documents per owner (module null) and per owner and module.</summary>
    private async Task<Dictionary<(string Owner, string? Module), (long Bytes, long Documents)>> ActualUsageAsync(string? owner, CancellationToken ct)
    {
        var query = db.Nodes.AsNoTracking().Where(n => !n.IsFolder);
        if (owner is not null)
        {
            query = query.Where(n => n.Owner == owner);
        }

        var sums = new Dictionary<(string, string?), (long, long)>();
        await foreach (var row in query.Select(n => new { n.Owner, n.Path, n.ContentLength }).AsAsyncEnumerable().WithCancellation(ct))
        {
            Add((row.Owner, null), row.ContentLength);
            Add((row.Owner, WriteBatch.ModuleOf(StoragePath.FromStored(row.Path))), row.ContentLength);
        }

        return sums;

        void Add((string, string?) key, long length)
        {
            var (bytes, documents) = sums.GetValueOrDefault(key);
            sums[key] = (bytes + length, documents + 1);
        }
    }
}

/// <summary>Removes blobs no row references and stale temp/spool files, once they are older
/// than <c>Blobs:OrphanGraceMinutes</c>, every <c>Blobs:SweepIntervalMinutes</c>.</summary>
public sealed partial class OrphanSweeper(IServiceScopeFactory scopes, IOptions<BlobOptions> options, ILogger<OrphanSweeper> logger) : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(options.Value.SweepIntervalMinutes);

    protected override TimeSpan FirstDelay => Interval;

    protected override async Task RunOnceAsync(IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        var reconciler = services.GetRequiredService<BlobReconciler>();
        var report = await reconciler.RunAsync(repair: true, TimeSpan.FromMinutes(options.Value.OrphanGraceMinutes), checkRows: false, ct);
        if (report.OrphansRemoved > 0)
        {
            LogSwept(logger, report.OrphansRemoved, report.BlobsSeen);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Orphan sweeper removed {Removed} unreferenced blobs and stale temp files (of {Seen} blobs)")]
    private static partial void LogSwept(ILogger logger, int removed, int seen);
}
