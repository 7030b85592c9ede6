using Npgsql;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// The PostgreSQL server that <c>tests/run.sh</c> starts (initdb + pg_ctl on a free loopback
/// port) and announces in <c>UNHOSTEDSTORE_TEST_POSTGRES</c>. Each fixture gets its own database.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "UNHOSTEDSTORE_TEST_POSTGRES";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"PostgreSQL tests need a server. Run the whole suite with `bash tests/run.sh`, which starts one " +
                $"(it needs PostgreSQL 15: `apt-get install postgresql-15`), or set {Variable} to a connection string " +
                "of a server where this user may CREATE DATABASE.");

    /// <summary>Creates a new empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = "us_" + Guid.NewGuid().ToString("N");
        await using (var conn = new NpgsqlConnection(ServerConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }
}
