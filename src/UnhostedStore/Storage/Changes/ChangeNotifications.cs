using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.Changes;

/// <summary>
/// Changes committed by other instances, on PostgreSQL: a trigger on the change log (migration
/// <c>ChangeLog</c>) notifies <c>&lt;last seq&gt;:&lt;user&gt;</c> at commit on
/// <see cref="Channel"/>; this connection LISTENs and hands each to <see cref="ChangeHub.Notified"/>,
/// which reads the entries once per user, and only for users with streams here. When the
/// connection comes back after a break, every feed reads what it may have missed. On SQLite there
/// is one instance and its own commits reach the hub directly, so this does nothing there.
/// </summary>
public sealed partial class ChangeNotifications(
    ChangeHub hub,
    IOptions<DatabaseOptions> options,
    ILogger<ChangeNotifications> logger) : BackgroundService
{
    public const string Channel = "unhostedstore_changes";

    /// <summary>With no notification for this long the connection is pinged, so a connection that
    /// died silently is noticed soon.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.Provider == DatabaseProvider.Postgres
            ? Task.Factory.StartNew(() => Listen(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : Task.CompletedTask;

    /// <summary><c>&lt;seq&gt;:&lt;user&gt;</c> (user names hold no colon, but the first one splits anyway).</summary>
    public static bool TryParse(string payload, out string owner, out long seq)
    {
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        owner = colon > 0 ? payload[(colon + 1)..] : string.Empty;
        seq = 0;
        return colon > 0 && owner.Length > 0 && long.TryParse(payload.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }

    private void Listen(CancellationToken stoppingToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.PostgresConnectionString)
        {
            ApplicationName = "unhostedstore-changes-listener",
            CommandTimeout = 5,
            Timeout = 5,
        };
        var wasListening = false;
        PostgresListenLoop.Run(
            builder,
            [Channel],
            (_, e) =>
            {
                if (TryParse(e.Payload, out var owner, out var seq))
                {
                    hub.Notified(owner, seq);
                }
            },
            _ =>
            {
                // Entries committed while no one listened are in the log: read them.
                if (wasListening)
                {
                    hub.CatchUpAll();
                }

                wasListening = true;
            },
            e => LogLost(logger, e),
            PingInterval,
            stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the change-notification listener connection; other instances' changes reach this one's streams once it is back")]
    private static partial void LogLost(ILogger logger, Exception exception);
}
