using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using UnhostedStore.Persistence;

namespace UnhostedStore.Authorization;

/// <summary>
/// How <see cref="ValidatedTokenCache"/> learns that a token or grant changed. Database triggers
/// (migration <c>TokenCacheInvalidation</c>) fire on every status or expiry change and on every
/// deletion of an <c>OpenIddictTokens</c> or <c>OpenIddictAuthorizations</c> row, whoever makes it:
/// <list type="bullet">
/// <item>PostgreSQL: the trigger calls <c>pg_notify</c> with the row's id; every instance LISTENs
/// (<see cref="PostgresAuthChangeListener"/>) and drops the entries of that id.</item>
/// <item>SQLite: the trigger bumps a counter row; each lookup reads it first
/// (<see cref="SqliteAuthEpoch"/>, a prepared single-row read on a connection kept open), and a
/// new value empties the cache.</item>
/// </list>
/// </summary>
public interface IAuthChangeFeed
{
    /// <summary>Brings the cache up to date with the changes the feed has seen, and says whether
    /// the cache may be used now; when it says no, the token is checked against the database.</summary>
    bool Refresh();

    /// <summary>Whether another process's change can be committed (and acknowledged) before it
    /// reaches the cache: then a grant answered from the cache is confirmed by the request's own
    /// database round trip (<see cref="StorageCredentials.Recheck"/>).</summary>
    bool Delayed { get; }

    /// <summary>When <see cref="Delayed"/>: the database's change counter (<c>AuthEpoch</c>) as
    /// far as the cache has caught up with it. Every change up to this one has already dropped
    /// its entries; a read whose snapshot finds the counter no further needs no recheck.</summary>
    long HandledEpoch { get; }
}

public static class AuthChangeFeeds
{
    public const string PostgresChannel = "unhostedstore_auth";

    /// <summary>The counter's new value, notified once per changing statement, after that
    /// statement's ids on <see cref="PostgresChannel"/>.</summary>
    public const string PostgresEpochChannel = "unhostedstore_auth_epoch";

    public static IServiceCollection AddTokenCache(this IServiceCollection services, DatabaseOptions database)
    {
        services.AddSingleton<ValidatedTokenCache>();
        services.AddSingleton<StorageAuthenticator>();

        // This process's own token and grant changes empty the cache at commit.
        services.AddSingleton<IInterceptor>(sp => new AuthChangeInterceptor(sp.GetRequiredService<ValidatedTokenCache>()));

        // The feed is chosen once, here: PostgreSQL pushes changes, SQLite is asked before each lookup.
        if (database.Provider == DatabaseProvider.Postgres)
        {
            services.AddSingleton<PostgresAuthChangeListener>();
            services.AddSingleton<IAuthChangeFeed>(sp => sp.GetRequiredService<PostgresAuthChangeListener>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresAuthChangeListener>());
        }
        else
        {
            services.AddSingleton(sp => new SqliteAuthEpoch(
                sp.GetRequiredService<ValidatedTokenCache>(),
                sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.SqlitePath,
                sp.GetRequiredService<ILogger<SqliteAuthEpoch>>()));
            services.AddSingleton<IAuthChangeFeed>(sp => sp.GetRequiredService<SqliteAuthEpoch>());
        }

        return services;
    }
}

/// <summary>
/// Holds one connection that LISTENs for token and grant changes. The cache is live only while
/// this connection is; when it breaks, the cache is emptied and bypassed until it is back.
/// </summary>
public sealed partial class PostgresAuthChangeListener(
    ValidatedTokenCache cache,
    IOptions<DatabaseOptions> options,
    ILogger<PostgresAuthChangeListener> logger) : BackgroundService, IAuthChangeFeed
{
    /// <summary>Changes arrive by notification, so there is nothing to ask; the cache is off
    /// (<see cref="ValidatedTokenCache.IsLive"/>) while the connection is down.</summary>
    public bool Refresh() => true;

    /// <summary>A notification is handled about a millisecond after the commit, on a thread of
    /// its own: a request may arrive in between.</summary>
    public bool Delayed => true;

    private long _handledEpoch = -1;

    public long HandledEpoch => Volatile.Read(ref _handledEpoch);

    /// <summary>With no notification for this long the connection is pinged, so that a connection
    /// that died silently is noticed within about <see cref="PingInterval"/> + 2 s.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Listen(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>A thread of its own keeps the window between a revocation's commit elsewhere and
    /// its effect here short.</summary>
    private void Listen(CancellationToken stoppingToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.PostgresConnectionString)
        {
            ApplicationName = "unhostedstore-auth-listener",
            CommandTimeout = 2,
            Timeout = 5,
        };
        PostgresListenLoop.Run(
            builder,
            [AuthChangeFeeds.PostgresChannel, AuthChangeFeeds.PostgresEpochChannel],
            (_, e) =>
            {
                if (e.Channel == AuthChangeFeeds.PostgresEpochChannel)
                {
                    // After the ids of the same statement (delivery keeps the order they were
                    // sent in), so the entries they name are gone already.
                    if (long.TryParse(e.Payload, System.Globalization.CultureInfo.InvariantCulture, out var epoch))
                    {
                        Handled(epoch);
                    }
                }
                else if (e.Payload is { Length: > 0 } id)
                {
                    cache.Invalidate(id);
                }
                else
                {
                    cache.Clear();
                }
            },
            connection =>
            {
                // Changes committed before LISTEN are in the database, which every miss reads,
                // and the cache is emptied below: every change counted so far is handled. Later
                // ones are notified.
                using (var read = new NpgsqlCommand("""SELECT "Epoch" FROM "AuthEpoch" WHERE "Id" = 1""", connection))
                {
                    Handled(read.ExecuteScalar() is long epoch ? epoch : throw new InvalidOperationException("AuthEpoch row is missing"));
                }

                cache.SetLive(true);
                LogListening(logger);
            },
            e =>
            {
                var wasLive = cache.IsLive;
                cache.SetLive(false);
                if (wasLive)
                {
                    LogLost(logger, e);
                }
            },
            PingInterval,
            stoppingToken);
        cache.SetLive(false);
    }

    private void Handled(long epoch)
    {
        // Only ever forward: a notification read while the start-up value was being read is older.
        var seen = Volatile.Read(ref _handledEpoch);
        while (epoch > seen)
        {
            var previous = Interlocked.CompareExchange(ref _handledEpoch, epoch, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening for token and grant changes; the validated-token cache is on")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the token-change listener connection; every token is checked against the database until it is back")]
    private static partial void LogLost(ILogger logger, Exception exception);
}

/// <summary>
/// The SQLite feed: the <c>AuthEpoch</c> counter, read before every cache lookup. Another
/// process (the CLI) may revoke, so an in-process signal alone would not do.
/// </summary>
public sealed partial class SqliteAuthEpoch(ValidatedTokenCache cache, string databasePath, ILogger<SqliteAuthEpoch> logger) : IAuthChangeFeed, IDisposable
{
    private readonly Lock _lock = new();
    private SqliteConnection? _connection;
    private SqliteCommand? _read;
    private long? _seen;

    /// <summary>The counter is read before every lookup, and this process's own changes empty
    /// the cache at their commit (<see cref="AuthChangeInterceptor"/>), before anyone is told.</summary>
    public bool Delayed => false;

    /// <summary>Not used: nothing is <see cref="Delayed"/>.</summary>
    public long HandledEpoch => long.MaxValue;

    /// <summary>Empties the cache if a token or grant changed since the last call. Returns false if
    /// the counter can't be read; the caller then checks the token against the database.</summary>
    public bool Refresh()
    {
        long epoch;
        lock (_lock)
        {
            try
            {
                if (_read is null)
                {
                    _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
                    _connection.Open();
                    _read = _connection.CreateCommand();
                    _read.CommandText = """SELECT "Epoch" FROM "AuthEpoch" WHERE "Id" = 1""";
                    _read.Prepare();
                }

                epoch = _read.ExecuteScalar() is long value ? value : throw new InvalidOperationException("AuthEpoch row is missing");
            }
            catch (Exception e) when (e is SqliteException or InvalidOperationException)
            {
                DropConnection();
                if (cache.IsLive)
                {
                    LogUnreadable(logger, e);
                    cache.SetLive(false);
                }

                return false;
            }

            if (_seen != epoch)
            {
                // Live again (or for the first time), empty: whatever changed is read from the database.
                cache.SetLive(true);
                _seen = epoch;
            }
        }

        return true;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            DropConnection();
        }
    }

    private void DropConnection()
    {
        _read?.Dispose();
        _connection?.Dispose();
        _read = null;
        _connection = null;
        _seen = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the token-change counter; every token is checked against the database until it can")]
    private static partial void LogUnreadable(ILogger logger, Exception exception);
}
