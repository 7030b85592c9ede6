using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Activity;

/// <summary>
/// Deletes audit events older than <c>Accounts:AuditRetentionDays</c>, oldest first, in
/// statements of at most <see cref="BatchSize"/> rows, so that a backlog (the first run after
/// the setting was lowered) never holds a long lock. Several instances may run it at once: a
/// row deleted by one is simply not there for the other.
/// </summary>
public sealed class AuditRetention(StorageDbContext db, IOptions<AccountOptions> options, TimeProvider clock)
{
    public const int BatchSize = 1000;

    /// <summary>Returns how many events were deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.AuditRetentionDays);
        var deleted = 0;
        while (true)
        {
            // Through the TimeUtc index; the ids keep each statement to one batch.
            var ids = await db.AuditEvents.AsNoTracking()
                .Where(e => e.TimeUtc < cutoff)
                .OrderBy(e => e.TimeUtc)
                .Take(BatchSize)
                .Select(e => e.Id)
                .ToListAsync(ct);
            if (ids.Count == 0)
            {
                return deleted;
            }

            deleted += await db.AuditEvents.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(ct);
            if (ids.Count < BatchSize)
            {
                return deleted;
            }
        }
    }
}

/// <summary>Runs <see cref="AuditRetention"/> on every instance every hour (first a minute
/// after start).</summary>
public sealed partial class AuditRetentionJob(IServiceScopeFactory scopes, ILogger<AuditRetentionJob> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), stoppingToken);
            using var timer = new PeriodicTimer(Interval);
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var deleted = await scope.ServiceProvider.GetRequiredService<AuditRetention>().RunOnceAsync(stoppingToken);
                    if (deleted > 0)
                    {
                        LogDeleted(logger, deleted);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit retention removed {Deleted} events past Accounts:AuditRetentionDays")]
    private static partial void LogDeleted(ILogger logger, int deleted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit retention failed; will retry next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
