using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.History;

/// <summary>What one run of <see cref="HistoryExpiry"/> removed.</summary>
public sealed record HistoryExpiryReport(int Expired, int OverLimit, long Bytes);

/// <summary>
/// Removes retained versions older than <c>Storage:VersionRetentionDays</c> (all of them when
/// it is 0: history was turned off) and, per document, those beyond the newest
/// <c>Storage:MaxVersionsPerDocument</c>. In bounded steps: each removes up to
/// <see cref="BatchSize"/> versions of one owner in one transaction under that owner's lock,
/// rows first, blobs after the commit. Every step reads again what it removes, so several
/// instances running at once remove nothing twice.
/// </summary>
public sealed class HistoryExpiry(StorageDbContext db, BlobRelease release, IOptions<StorageOptions> options, TimeProvider clock)
{
    public const int BatchSize = 500;

    public async Task<HistoryExpiryReport> RunOnceAsync(CancellationToken ct)
    {
        var (expired, expiredBytes) = await RemoveExpiredAsync(ct);
        var (over, overBytes) = await RemoveOverLimitAsync(ct);
        return new HistoryExpiryReport(expired, over, expiredBytes + overBytes);
    }

    private async Task<(int, long)> RemoveExpiredAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.VersionRetentionDays);
        var (count, bytes) = (0, 0L);
        while (true)
        {
            // Per account, one probe of its (Owner, ReplacedUtc) index: the account rows are
            // few, the version rows many.
            var owners = await db.Accounts.AsNoTracking()
                .Where(a => db.DocumentVersions.Any(v => v.Owner == a.UserName && v.ReplacedUtc < cutoff))
                .Select(a => a.UserName)
                .ToListAsync(ct);
            if (owners.Count == 0)
            {
                return (count, bytes);
            }

            var removedAny = false;
            foreach (var owner in owners)
            {
                var removed = await VersionRemoval.RemoveAsync(
                    db, owner, q => q.Where(v => v.ReplacedUtc < cutoff).OrderBy(v => v.ReplacedUtc).Take(BatchSize), ct);
                await release.DeleteUnreferencedAsync(owner, removed.BlobKeys);
                (count, bytes) = (count + removed.Count, bytes + removed.Bytes);
                removedAny |= removed.Count > 0;
            }

            if (!removedAny)
            {
                return (count, bytes);
            }
        }
    }

    private async Task<(int, long)> RemoveOverLimitAsync(CancellationToken ct)
    {
        var max = options.Value.MaxVersionsPerDocument;
        var (count, bytes) = (0, 0L);
        while (true)
        {
            var documents = await db.DocumentVersions.AsNoTracking()
                .GroupBy(v => new { v.Owner, v.Path })
                .Where(g => g.Count() > max)
                .Select(g => g.Key)
                .Take(BatchSize)
                .ToListAsync(ct);
            if (documents.Count == 0)
            {
                return (count, bytes);
            }

            var removedAny = false;
            foreach (var owner in documents.GroupBy(d => d.Owner, StringComparer.Ordinal))
            {
                var paths = owner.Select(d => d.Path).ToList();
                var versions = await db.DocumentVersions.AsNoTracking()
                    .Where(v => v.Owner == owner.Key && paths.Contains(v.Path))
                    .Select(v => new { v.Id, v.Path, v.ReplacedUtc })
                    .ToListAsync(ct);

                // Newer versions only ever add up: what is beyond the newest max now stays beyond it.
                var surplus = versions.GroupBy(v => v.Path, StringComparer.Ordinal)
                    .SelectMany(g => g.OrderByDescending(v => v.ReplacedUtc).ThenByDescending(v => v.Id).Skip(max))
                    .Select(v => v.Id)
                    .ToList();
                foreach (var ids in surplus.Chunk(BatchSize))
                {
                    var removed = await VersionRemoval.RemoveAsync(db, owner.Key, q => q.Where(v => ids.Contains(v.Id)), ct);
                    await release.DeleteUnreferencedAsync(owner.Key, removed.BlobKeys);
                    (count, bytes) = (count + removed.Count, bytes + removed.Bytes);
                    removedAny |= removed.Count > 0;
                }
            }

            if (!removedAny)
            {
                return (count, bytes);
            }
        }
    }
}

/// <summary>Runs <see cref="HistoryExpiry"/> on every instance every
/// <c>Storage:HistoryPurgeIntervalMinutes</c> (first a minute after start).</summary>
public sealed partial class HistoryExpiryJob(IServiceScopeFactory scopes, IOptions<StorageOptions> options, ILogger<HistoryExpiryJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.HistoryPurgeIntervalMinutes;
        if (interval <= 0)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromMinutes(interval));
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var report = await scope.ServiceProvider.GetRequiredService<HistoryExpiry>().RunOnceAsync(stoppingToken);
                    if (report.Expired + report.OverLimit > 0)
                    {
                        LogPurged(logger, report.Expired, report.OverLimit, report.Bytes);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "History job removed {Expired} expired versions and {OverLimit} beyond the per-document limit ({Bytes} bytes)")]
    private static partial void LogPurged(ILogger logger, int expired, int overLimit, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "History job failed; will retry next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
