using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Blobs;

/// <summary>What <c>reconcile</c> (or the sweeper) found, and what it repaired.</summary>
public sealed record ReconcileReport(
    int BlobsSeen,
    IReadOnlyList<string> OrphanBlobs,
    int OrphansRemoved,
    IReadOnlyList<(string Owner, string Path, string BlobKey)> MissingBlobs,
    int RowsRemoved,
    IReadOnlyList<UsageDrift> UsageDrifts,
    int UsageRepaired);

public sealed record UsageDrift(string Owner, long RecordedBytes, long ActualBytes, long RecordedDocuments, long ActualDocuments);

/// <summary>
/// Finds drift between metadata and blobs, both ways, and usage counters that disagree with the
/// rows: blobs no row references (left by a crash between upload and commit, or a failed delete),
/// rows whose blob is gone, and accounts whose counters are off. Temp/spool files a killed
/// process left mid-upload are reported among the orphans as <c>tmp/&lt;file name&gt;</c>. With repair it removes the
/// orphans, deletes the broken rows through the normal delete path (so folders and usage stay
/// right), and rewrites drifted counters.
/// </summary>
public sealed class BlobReconciler(StorageDbContext db, IBlobStore blobs, StorageService storage, TimeProvider clock)
{
    private const int Page = 500;

    public async Task<ReconcileReport> RunAsync(bool repair, TimeSpan orphanGrace, bool checkRows, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - orphanGrace;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var orphans = new List<string>();
        var batch = new List<BlobEntry>(Page);
        await foreach (var blob in blobs.ListAsync(ct))
        {
            seen.Add(blob.Key);
            batch.Add(blob);
            if (batch.Count == Page)
            {
                orphans.AddRange(await UnreferencedAsync(batch, cutoff, ct));
                batch.Clear();
            }
        }

        orphans.AddRange(await UnreferencedAsync(batch, cutoff, ct));

        // A process killed mid-upload leaves its staged temp/spool file, which no listing of
        // blobs shows; it is reported (and removed) as an orphan too.
        var staleTemp = blobs.ListStaleTempFiles(cutoff).Select(t => t.Key).ToList();

        var removed = 0;
        if (repair)
        {
            foreach (var key in orphans)
            {
                // Read the references again right before deleting: a commit may have claimed it.
                if (!await db.Nodes.AsNoTracking().AnyAsync(n => n.BlobKey == key, ct))
                {
                    await blobs.DeleteAsync(key, ct);
                    removed++;
                }
            }

            foreach (var name in staleTemp)
            {
                blobs.DeleteTempFile(name);
                removed++;
            }
        }

        orphans.AddRange(staleTemp);

        var missing = new List<(string, string, string)>();
        var rowsRemoved = 0;
        var drifts = new List<UsageDrift>();
        var usageRepaired = 0;
        if (checkRows)
        {
            var rows = await db.Nodes.AsNoTracking().Where(n => n.BlobKey != null).Select(n => new { n.Owner, n.Path, n.BlobKey, n.ETag }).ToListAsync(ct);
            var versions = new Dictionary<(string, string), string>();
            foreach (var row in rows)
            {
                // A row committed after the listing started points at a blob the listing may not
                // have seen: ask the store about that one key before calling it missing.
                if (!seen.Contains(row.BlobKey!) && !await ExistsAsync(row.BlobKey!, ct))
                {
                    missing.Add((row.Owner, row.Path, row.BlobKey!));
                    versions[(row.Owner, row.Path)] = row.ETag;
                }
            }

            if (repair)
            {
                foreach (var (owner, path, _) in missing)
                {
                    // Only the version whose blob is gone: a document written since is left alone.
                    var headers = new HeaderDictionary { [HeaderNames.IfMatch] = ETag.FromStored(versions[(owner, path)]).Quoted };
                    _ = RequestConditions.TryParse(headers, out var onlyThatVersion, out _);
                    if (await storage.DeleteAsync(owner, StoragePath.FromStored(path), onlyThatVersion, ct) is StorageOutcome.Deleted)
                    {
                        rowsRemoved++;
                    }
                }
            }

            (drifts, usageRepaired) = await CheckUsageAsync(repair, ct);
        }

        return new ReconcileReport(seen.Count, orphans, removed, missing, rowsRemoved, drifts, usageRepaired);
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

        var referenced = await db.Nodes.AsNoTracking().Where(n => n.BlobKey != null && old.Contains(n.BlobKey)).Select(n => n.BlobKey!).ToListAsync(ct);
        var set = referenced.ToHashSet(StringComparer.Ordinal);
        return old.Where(k => !set.Contains(k)).ToList();
    }

    private async Task<(List<UsageDrift>, int)> CheckUsageAsync(bool repair, CancellationToken ct)
    {
        var actual = await db.Nodes.AsNoTracking()
            .Where(n => !n.IsFolder)
            .GroupBy(n => n.Owner)
            .Select(g => new { Owner = g.Key, Bytes = g.Sum(n => n.ContentLength), Documents = (long)g.Count() })
            .ToDictionaryAsync(x => x.Owner, ct);
        var accounts = await db.Accounts.AsNoTracking().ToListAsync(ct);
        var drifts = new List<UsageDrift>();
        foreach (var account in accounts)
        {
            var bytes = actual.TryGetValue(account.UserName, out var a) ? a.Bytes : 0;
            var documents = a?.Documents ?? 0;
            if (bytes != account.UsedBytes || documents != account.DocumentCount)
            {
                drifts.Add(new UsageDrift(account.UserName, account.UsedBytes, bytes, account.DocumentCount, documents));
            }
        }

        var repaired = 0;
        if (repair)
        {
            foreach (var drift in drifts)
            {
                // Recomputed under the account's row lock, so no write can interleave.
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                await db.Accounts.Where(x => x.UserName == drift.Owner).ExecuteUpdateAsync(s => s.SetProperty(x => x.WriteVersion, x => x.WriteVersion + 1), ct);
                var sums = await db.Nodes.AsNoTracking().Where(n => n.Owner == drift.Owner && !n.IsFolder)
                    .GroupBy(n => 1).Select(g => new { Bytes = g.Sum(n => n.ContentLength), Documents = (long)g.Count() }).FirstOrDefaultAsync(ct);
                await db.Accounts.Where(x => x.UserName == drift.Owner).ExecuteUpdateAsync(
                    s => s.SetProperty(x => x.UsedBytes, sums == null ? 0 : sums.Bytes).SetProperty(x => x.DocumentCount, sums == null ? 0 : sums.Documents), ct);
                await tx.CommitAsync(ct);
                repaired++;
            }
        }

        return (drifts, repaired);
    }
}

/// <summary>Removes blobs no row references and stale temp/spool files, once they are older
/// than <c>Blobs:OrphanGraceMinutes</c>, every <c>Blobs:SweepIntervalMinutes</c>.</summary>
public sealed partial class OrphanSweeper(IServiceScopeFactory scopes, IOptions<BlobOptions> options, ILogger<OrphanSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SweepIntervalMinutes;
        if (interval <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(interval));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var reconciler = scope.ServiceProvider.GetRequiredService<BlobReconciler>();
                var report = await reconciler.RunAsync(repair: true, TimeSpan.FromMinutes(options.Value.OrphanGraceMinutes), checkRows: false, stoppingToken);
                if (report.OrphansRemoved > 0)
                {
                    LogSwept(logger, report.OrphansRemoved, report.BlobsSeen);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Orphan sweeper removed {Removed} unreferenced blobs and stale temp files (of {Seen} blobs)")]
    private static partial void LogSwept(ILogger logger, int removed, int seen);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orphan sweep failed; will retry next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
