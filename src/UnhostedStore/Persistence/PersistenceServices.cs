using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using UnhostedStore.Hosting;

namespace UnhostedStore.Persistence;

public static class PersistenceServices
{
    public static IServiceCollection AddPersistence(this IServiceCollection services, DatabaseOptions options)
    {
        if (options.Provider == DatabaseProvider.Postgres)
        {
            services.AddDbContextPool<StorageDbContext, PostgresStorageDbContext>(o => ConfigurePostgres(o, options.PostgresConnectionString!));
        }
        else
        {
            Directory.CreateDirectory(Path.GetFullPath(options.DataDirectory));
            services.AddDbContextPool<StorageDbContext, SqliteStorageDbContext>(o => ConfigureSqlite(o, options.SqlitePath));
        }

        return services;
    }

    internal static void ConfigurePostgres(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory"))
            .AddInterceptors(Telemetry.DatabaseMetricsInterceptor.Instance);

    internal static void ConfigureSqlite(DbContextOptionsBuilder builder, string path) =>
        builder.UseSqlite($"Data Source={path};Default Timeout=30")
            .AddInterceptors(SqliteDurability.Instance, Telemetry.DatabaseMetricsInterceptor.Instance);

    /// <summary>Applies pending migrations; safe to call at every start.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the one writer; the mode is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        await db.Database.MigrateAsync(ct);
    }
}

/// <summary>
/// Every SQLite connection commits with fsync (synchronous=FULL): a write that answered 2xx
/// must survive power loss, which WAL's NORMAL does not promise.
/// </summary>
internal sealed class SqliteDurability : DbConnectionInterceptor
{
    public static readonly SqliteDurability Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=FULL;";
        command.ExecuteNonQuery();
    }
}

/// <summary>Used by <c>dotnet ef</c> only; nothing connects.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteStorageDbContext>
{
    public SqliteStorageDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<SqliteStorageDbContext>();
        PersistenceServices.ConfigureSqlite(builder, "design-time.db");
        return new SqliteStorageDbContext(builder.Options);
    }
}

/// <summary>Used by <c>dotnet ef</c> only; nothing connects.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresStorageDbContext>
{
    public PostgresStorageDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgresStorageDbContext>();
        PersistenceServices.ConfigurePostgres(builder, "Host=localhost;Database=design_time");
        return new PostgresStorageDbContext(builder.Options);
    }
}
