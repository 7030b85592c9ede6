using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.Changes;

/// <summary>
/// Removes change-log entries beyond <c>Storage:ChangeLogRetention</c>: older than <c>Days</c>,
/// and per user all but the newest <c>MaxEntriesPerUser</c>. In statements of at most
/// <see cref="BatchSize"/> rows each, so no transaction holds many locks for long and writers
/// are never kept waiting. Entries are only ever read, never changed, so several instances
/// purging at once do no harm. A client that resumes from a purged entry is sent <c>reset</c>.
/// </summary>
public sealed class ChangeLogPurge(StorageDbContext db, IOptions<ChangeOptions> options, TimeProvider clock)
{
    public const int BatchSize = 1000;

    /// <summary>One full pass; returns how many entries it removed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var retention = options.Value.ChangeLogRetention;
        var removed = 0;
        if (retention.Days > 0)
        {
            var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-retention.Days);
            removed += await DeleteInBatchesAsync(db.ChangeLog.Where(c => c.TimeUtc < cutoff).OrderBy(c => c.TimeUtc), ct);
        }

        if (retention.MaxEntriesPerUser > 0)
        {
            removed += await RemoveBeyondCountAsync(retention.MaxEntriesPerUser, ct);
        }

        return removed;
    }

    private async Task<int> RemoveBeyondCountAsync(int max, CancellationToken ct)
    {
        // Sequence numbers count every change a user ever made, so only users with more than
        // max of them can have entries beyond the newest max: those at or below last - max.
        var removed = 0;
        var after = string.Empty;
        while (true)
        {
            var users = await db.Accounts.AsNoTracking()
                .Where(a => a.ChangeSeq > max && a.UserName.CompareTo(after) > 0)
                .OrderBy(a => a.UserName)
                .Take(BatchSize)
                .Select(a => new { a.UserName, a.ChangeSeq })
                .ToListAsync(ct);
            foreach (var user in users)
            {
                var keepFrom = user.ChangeSeq - max;
                removed += await DeleteInBatchesAsync(db.ChangeLog.Where(c => c.Owner == user.UserName && c.Seq <= keepFrom).OrderBy(c => c.Seq), ct);
            }

            if (users.Count < BatchSize)
            {
                return removed;
            }

            after = users[^1].UserName;
        }
    }

    private static async Task<int> DeleteInBatchesAsync(IOrderedQueryable<ChangeLogEntry> oldestFirst, CancellationToken ct)
    {
        var removed = 0;
        while (true)
        {
            var count = await oldestFirst.Take(BatchSize).ExecuteDeleteAsync(ct);
            removed += count;
            if (count < BatchSize)
            {
                return removed;
            }
        }
    }
}

/// <summary>Runs <see cref="ChangeLogPurge"/> on every instance every
/// <c>Storage:ChangeLogRetention:PurgeIntervalMinutes</c> (first a minute after start).</summary>
public sealed partial class ChangeLogPurgeJob(IServiceScopeFactory scopes, IOptions<ChangeOptions> options, ILogger<ChangeLogPurgeJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ChangeLogRetention.PurgeIntervalMinutes;
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
                    var removed = await scope.ServiceProvider.GetRequiredService<ChangeLogPurge>().RunOnceAsync(stoppingToken);
                    if (removed > 0)
                    {
                        LogPurged(logger, removed);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Change log: removed {Removed} entries beyond the retention")]
    private static partial void LogPurged(ILogger logger, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change log purge failed; will retry next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
