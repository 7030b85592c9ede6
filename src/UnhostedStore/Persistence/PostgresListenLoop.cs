using Npgsql;

namespace UnhostedStore.Persistence;

/// <summary>
/// One PostgreSQL connection of its own that LISTENs on some channels until the host stops, on
/// the calling thread with Npgsql's synchronous API, so a notification is handled as soon as it
/// arrives, never queued behind requests in the thread pool. A broken connection is opened again
/// after a pause that doubles up to 5 s; a connection that died silently is noticed by a ping
/// after <c>pingInterval</c> without a notification.
/// </summary>
public static class PostgresListenLoop
{
    /// <param name="listening">Runs on the new connection once LISTEN is in place and before the
    /// first wait; what it throws counts as a lost connection.</param>
    /// <param name="lost">Runs after each failure, before the pause.</param>
    public static void Run(
        NpgsqlConnectionStringBuilder builder,
        IReadOnlyList<string> channels,
        NotificationEventHandler notified,
        Action<NpgsqlConnection> listening,
        Action<Exception> lost,
        TimeSpan pingInterval,
        CancellationToken stoppingToken)
    {
        // A connection of its own, never handed back to a pool in an unknown state.
        builder.Pooling = false;
        var listen = string.Join("; ", channels.Select(c => $"LISTEN {c}"));
        var retry = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            var connection = new NpgsqlConnection(builder.ConnectionString);
            using var stop = stoppingToken.Register(static c => Interrupt((NpgsqlConnection)c!), connection);
            try
            {
                connection.Notification += notified;
                connection.Open();
                using (var command = new NpgsqlCommand(listen, connection))
                {
                    command.ExecuteNonQuery();
                }

                listening(connection);
                retry = TimeSpan.FromMilliseconds(200);
                using var ping = new NpgsqlCommand("SELECT 1", connection);
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!connection.Wait(pingInterval))
                    {
                        ping.ExecuteScalar();
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                lost(e);
                stoppingToken.WaitHandle.WaitOne(retry);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down: Interrupt closed the connection under Wait or a command.
            }
            finally
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>
    /// Runs from the host's stop, which must not throw: an exception here fails the whole stop.
    /// Npgsql refuses to close a connection that is still opening ("Can't close, connection is in
    /// state Connecting"); that Open ends within the connection string's Timeout, and the loop
    /// then sees the token and leaves.
    /// </summary>
    private static void Interrupt(NpgsqlConnection connection)
    {
        try
        {
            connection.Dispose();
        }
        catch (Exception)
        {
            // Left to the loop's own Dispose, as above.
        }
    }
}
