using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace UnhostedStore.Configuration;

/// <summary>
/// A housekeeping job that runs on every instance: first a while after start (a minute by
/// default, so a restart storm does not add its work to start-up), then every <see cref="Interval"/>, each run in its
/// own service scope. A run that fails is logged and the next one tries again; the jobs built on
/// this are written so that runs on several instances at once do no harm.
/// </summary>
public abstract partial class PeriodicJob(IServiceScopeFactory scopes, ILogger logger) : BackgroundService
{
    /// <summary>How often the job runs; zero or less turns it off.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>How long after start the first run waits.</summary>
    protected virtual TimeSpan FirstDelay => TimeSpan.FromMinutes(1);

    /// <summary>One run, with services from a fresh scope; logs what it did.</summary>
    protected abstract Task RunOnceAsync(IServiceProvider services, ILogger logger, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(FirstDelay, stoppingToken);
            using var timer = new PeriodicTimer(interval);
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await RunOnceAsync(scope.ServiceProvider, logger, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, GetType().Name, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Job} failed; will retry next interval")]
    private static partial void LogFailed(ILogger logger, string job, Exception exception);
}
