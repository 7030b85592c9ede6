using System.Threading.Channels;
using Microsoft.Extensions.Options;
using UnhostedStore.Authorization;

namespace UnhostedStore.Storage.Changes;

/// <summary>
/// What keeps the open streams honest, for all of them at once: one timer sends the heartbeats
/// and ends streams whose token expired; every token or grant change the validated-token cache
/// hears of (<see cref="ValidatedTokenCache.Invalidated"/>: this process's revocations at commit,
/// other processes' through <see cref="AuthChangeFeeds"/>) rechecks the streams' tokens in bulk
/// and ends those no longer valid; shutting down ends every stream with a retry hint.
/// </summary>
public sealed partial class ChangeStreamJobs(
    ChangeHub hub,
    ValidatedTokenCache tokens,
    IAuthChangeFeed authChanges,
    GrantValidity validity,
    IHostApplicationLifetime lifetime,
    IOptions<ChangeOptions> options,
    TimeProvider clock,
    ILogger<ChangeStreamJobs> logger) : BackgroundService
{
    /// <summary>How often the SQLite token-change counter is read while streams are open (another
    /// process, the CLI, may revoke), and so how late such a revocation ends a stream at most.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly Channel<string?> _rechecks = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        tokens.Invalidated += OnInvalidated;

        // Before the server waits for requests to end: the streams end first, promptly.
        lifetime.ApplicationStopping.Register(hub.Stop);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        tokens.Invalidated -= OnInvalidated;
        hub.Stop();
        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(TickAsync(stoppingToken), RecheckAsync(stoppingToken));

    private void OnInvalidated(string? id)
    {
        if (hub.Count > 0)
        {
            _rechecks.Writer.TryWrite(id);
        }
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        var heartbeat = TimeSpan.FromSeconds(options.Value.ChangeStreams.HeartbeatSeconds);
        var last = clock.GetUtcNow();
        using var timer = new PeriodicTimer(Tick, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (hub.Count == 0)
                {
                    continue;
                }

                try
                {
                    // SQLite: raises Invalidated when another process changed a token or grant.
                    authChanges.Refresh();
                    var now = clock.GetUtcNow();
                    if (now - last >= heartbeat)
                    {
                        last = now;
                        hub.Heartbeat(now);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogTickFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RecheckAsync(CancellationToken stoppingToken)
    {
        var reader = _rechecks.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                // Everything asked for so far, in one pass: a burst of changes costs one recheck.
                var all = false;
                var ids = new HashSet<string>(StringComparer.Ordinal);
                while (reader.TryRead(out var id))
                {
                    if (id is null)
                    {
                        all = true;
                    }
                    else
                    {
                        ids.Add(id);
                    }
                }

                try
                {
                    await RecheckAsync(all, ids, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Checked again at the next change; the token's own expiry still ends the stream.
                    LogRecheckFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RecheckAsync(bool all, HashSet<string> ids, CancellationToken ct)
    {
        var streams = hub.Streams()
            .Where(s => all || (s.Grant.TokenId is { } t && ids.Contains(t)) || (s.Grant.AuthorizationId is { } a && ids.Contains(a)))
            .Where(s => s.Grant.TokenId is not null)
            .ToList();
        if (streams.Count == 0)
        {
            return;
        }

        var valid = await validity.StillValidAsync(streams.Select(s => s.Grant.TokenId!).Distinct(StringComparer.Ordinal).ToList(), ct);
        foreach (var stream in streams)
        {
            if (!valid.Contains(stream.Grant.TokenId!))
            {
                stream.Close(StreamEnd.Revoked);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change stream heartbeat failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not recheck the change streams' tokens; checking again at the next token change")]
    private static partial void LogRecheckFailed(ILogger logger, Exception exception);
}
