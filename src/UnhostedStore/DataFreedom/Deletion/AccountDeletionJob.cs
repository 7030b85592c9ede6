namespace UnhostedStore.DataFreedom.Deletion;

/// <summary>
/// Erases the accounts whose grace period is over, on every instance: each looks once a minute
/// (and at once when a deletion is due immediately, <see cref="DeletionSignal"/>), and the lease
/// on each deletion row (<see cref="AccountEraser"/>) keeps two instances off the same account.
/// A failure (database or blob store down) is logged and retried on the next round, resuming
/// where the erasure stopped.
/// </summary>
public sealed partial class AccountDeletionJob(IServiceScopeFactory scopes, DeletionSignal signal, ILogger<AccountDeletionJob> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<AccountEraser>().RunDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
            }

            try
            {
                await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasing deleted accounts failed; retrying in a minute, from where it stopped")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
