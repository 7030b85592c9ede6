using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Validation;
using UnhostedStore.Persistence;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace UnhostedStore.Authorization;

/// <summary>
/// Remembers when each grant's tokens were last used at storage. The request path only writes
/// to a dictionary; <see cref="GrantUsageFlusher"/> stores the values in batches, at most once
/// a minute per grant, so storage requests never wait for a database write.
/// </summary>
public sealed class GrantUsageTracker(TimeProvider clock)
{
    /// <summary>A grant's stored "last used" is rewritten at most this often.</summary>
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTime> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _written = new(StringComparer.Ordinal);

    /// <summary>The hot path: one dictionary write.</summary>
    public void Record(string authorizationId) => _pending[authorizationId] = clock.GetUtcNow().UtcDateTime;

    /// <summary>Uses seen since the last flush (newer than anything stored for them).</summary>
    public DateTime? Pending(string authorizationId) => _pending.TryGetValue(authorizationId, out var t) ? t : null;

    /// <summary>
    /// Stores pending uses whose grant was not written within <see cref="WriteInterval"/>
    /// (or all of them with <paramref name="force"/>, at shutdown). Returns how many were written.
    /// </summary>
    public async Task<int> FlushAsync(IServiceProvider services, bool force, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var written in _written)
        {
            // Past the interval the entry no longer holds anything back: keep the map small.
            if (now - written.Value >= WriteInterval && !_pending.ContainsKey(written.Key))
            {
                _written.TryRemove(written);
            }
        }

        var due = new List<KeyValuePair<string, DateTime>>();
        foreach (var entry in _pending)
        {
            if (force || !_written.TryGetValue(entry.Key, out var last) || now - last >= WriteInterval)
            {
                due.Add(entry);
            }
        }

        if (due.Count == 0)
        {
            return 0;
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        // In one order on every instance, so two instances' transactions never wait on each
        // other's rows in a cycle (PostgreSQL).
        due.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var chunk in due.Chunk(FlushBatch))
        {
            // One transaction per chunk: one commit (one disk flush) for many grants, and on
            // SQLite the one write lock is taken once, briefly, not once per grant between the
            // storage writes.
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                foreach (var (id, used) in chunk)
                {
                    // An upsert that never moves the time back (another server process may share the database).
                    await db.Database.ExecuteSqlAsync($"""
                        INSERT INTO "GrantUsage" ("AuthorizationId", "LastUsedUtc") VALUES ({id}, {used})
                        ON CONFLICT ("AuthorizationId") DO UPDATE SET "LastUsedUtc" = excluded."LastUsedUtc"
                        WHERE excluded."LastUsedUtc" > "GrantUsage"."LastUsedUtc"
                        """, ct);
                }

                await tx.CommitAsync(ct);
            }

            foreach (var (id, used) in chunk)
            {
                _written[id] = now;

                // Only forget the value if no newer use came in meanwhile.
                _pending.TryRemove(new KeyValuePair<string, DateTime>(id, used));
            }
        }

        return due.Count;
    }

    /// <summary>Grants stored per transaction by <see cref="FlushAsync"/>.</summary>
    public const int FlushBatch = 200;

    /// <summary>Stored and pending "last used" times of these grants, the newer of the two.</summary>
    public async Task<Dictionary<string, DateTime>> LastUsedAsync(StorageDbContext db, IReadOnlyCollection<string> authorizationIds, CancellationToken ct)
    {
        var ids = authorizationIds.ToList();
        var stored = await db.GrantUsage.AsNoTracking()
            .Where(u => ids.Contains(u.AuthorizationId))
            .ToDictionaryAsync(u => u.AuthorizationId, u => DateTime.SpecifyKind(u.LastUsedUtc, DateTimeKind.Utc), StringComparer.Ordinal, ct);
        foreach (var id in ids)
        {
            if (Pending(id) is { } pending && (!stored.TryGetValue(id, out var s) || pending > s))
            {
                stored[id] = pending;
            }
        }

        return stored;
    }
}

/// <summary>Notes each successfully validated access token's grant in the tracker.</summary>
public sealed class GrantUsageHandler(GrantUsageTracker tracker) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; } =
        OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseSingletonHandler<GrantUsageHandler>()
            .SetOrder(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order + 100_000)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (!context.IsRejected && context.AccessTokenPrincipal?.GetAuthorizationId() is { Length: > 0 } id)
        {
            tracker.Record(id);
        }

        return default;
    }
}

/// <summary>Flushes <see cref="GrantUsageTracker"/> every 30 seconds and once more at shutdown.</summary>
public sealed partial class GrantUsageFlusher(GrantUsageTracker tracker, IServiceProvider services, ILogger<GrantUsageFlusher> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushQuietlyAsync(force: false, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushQuietlyAsync(force: true, cancellationToken);
    }

    private async Task FlushQuietlyAsync(bool force, CancellationToken ct)
    {
        try
        {
            await tracker.FlushAsync(services, force, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogFlushFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store when grants were last used; will retry")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
