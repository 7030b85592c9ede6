using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>
/// Runs move-ins in the background: the ones the page starts, and, every
/// <see cref="ResumeInterval"/>, any unfinished job whose lease ran out (a restart, a crash, or
/// an instance that stopped). Stopping the host cancels the runs; each gives its lease back.
/// </summary>
public sealed partial class MoveInJobs(IServiceScopeFactory scopes, TimeProvider clock, ILogger<MoveInJobs> logger) : BackgroundService
{
    public static readonly TimeSpan ResumeInterval = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private CancellationToken _stopping = CancellationToken.None;

    /// <summary>Starts <paramref name="jobId"/> now, unless this instance runs it already.</summary>
    public void Start(string jobId)
    {
        var stopping = _stopping;
        _running.GetOrAdd(jobId, id => Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MoveInCopier>().RunAsync(id, null, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogFailed(logger, e, id);
            }
            finally
            {
                _running.TryRemove(id, out _);
            }
        }));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
                var now = clock.GetUtcNow().UtcDateTime;
                var due = await db.MoveInJobs.AsNoTracking()
                    .Where(j => j.State == MoveInState.Running && (j.LeaseUntilUtc == null || j.LeaseUntilUtc < now))
                    .Select(j => j.Id).Take(20).ToListAsync(stoppingToken);
                foreach (var id in due)
                {
                    Start(id);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The database may be away for a moment (a failover); the next round tries again.
                LogResumeFailed(logger, e);
            }

            try
            {
                await Task.Delay(ResumeInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(_running.Values);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Move-in job {JobId} failed")]
    private static partial void LogFailed(ILogger logger, Exception e, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for move-ins to resume failed")]
    private static partial void LogResumeFailed(ILogger logger, Exception e);
}
