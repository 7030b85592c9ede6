using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>How the server's SQLite connections are set up: they flush every commit to disk,
/// and a writer that finds the write lock busy waits in SQLite's own handler (retries after a
/// few milliseconds) rather than in the driver's, which sleeps 150 ms between tries.</summary>
public sealed class SqliteConnectionTests(SqliteServerFixture server) : IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task Every_connection_commits_with_a_disk_flush_and_waits_for_a_busy_write_lock_in_sqlites_handler()
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        await db.Database.OpenConnectionAsync();
        try
        {
            // synchronous: 2 is FULL. busy_timeout: milliseconds, the connection's default timeout of 30 s.
            Assert.Equal(2L, await ScalarAsync(db, "PRAGMA synchronous"));
            Assert.Equal(30_000L, await ScalarAsync(db, "PRAGMA busy_timeout"));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<long> ScalarAsync(DbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
