using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using UnhostedStore.Configuration;

namespace UnhostedStore.Persistence;

public static class PersistenceServices
{
    /// <summary>The metadata database the configuration selects (<see cref="DatabaseOptions"/>),
    /// its DbContext pool and the hot reads; returns the options for the rooms that need them
    /// while services are still being registered.</summary>
    public static DatabaseOptions AddPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        var options = DatabaseOptions.FromConfiguration(configuration);

        // The Identity part of the model depends on it (IdentitySchema): set here, with the model.
        services.Configure<Microsoft.AspNetCore.Identity.IdentityOptions>(IdentitySchema.Configure);
        services.AddOptions<DatabaseOptions>()
            .Configure(o =>
            {
                o.MigrateOnStart = options.MigrateOnStart;
                o.ReadRoundTrips = options.ReadRoundTrips;
                o.PostgresConnectionString = options.PostgresConnectionString;
                o.DataDirectory = options.DataDirectory;
            })
            .ValidateWithFluent<DatabaseOptions, DatabaseOptionsValidator>();

        if (options.Provider == DatabaseProvider.Postgres)
        {
            services.AddDbContextPool<StorageDbContext, PostgresStorageDbContext>((sp, o) =>
            {
                ConfigurePostgres(o, options.PostgresConnectionString!);
                AddInterceptors(sp, o);
            });
        }
        else
        {
            Directory.CreateDirectory(Path.GetFullPath(options.DataDirectory));
            services.AddDbContextPool<StorageDbContext, SqliteStorageDbContext>((sp, o) =>
            {
                ConfigureSqlite(o, options.SqlitePath);
                AddInterceptors(sp, o);
            });
        }

        services.AddSingleton(sp => HotReads.Create(options, Timings(sp)));
        return options;
    }

    /// <summary>
    /// Rooms that must see every command or commit of the metadata database (the token cache's
    /// invalidation) register an <see cref="IInterceptor"/>; the pool builds its options once.
    /// </summary>
    private static void AddInterceptors(IServiceProvider services, DbContextOptionsBuilder builder) =>
        builder.AddInterceptors([new CommandTimingInterceptor(Timings(services)), .. services.GetServices<IInterceptor>()]);

    private static DatabaseCommandTimings Timings(IServiceProvider services) =>
        services.GetService<DatabaseCommandTimings>() ?? DatabaseCommandTimings.None;

    internal static void ConfigurePostgres(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(WithAutoPrepare(connectionString), npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory"))
            .AddInterceptors(PendingVersionsInterceptor.Instance);

    /// <summary>
    /// Server-side prepared statements for the few statements every request runs: PostgreSQL
    /// then skips parsing and planning them. Kept if the operator set it (e.g. 0 behind
    /// a transaction-pooling PgBouncer older than 1.21).
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        // Pooled connections are handed back as they are: we never change session state
        // (no SET, temp tables or held advisory locks outside MigrateAsync, which unlocks), and
        // the reset query otherwise runs on the server before every request's statement.
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    internal static string SqliteConnectionString(string path) => $"Data Source={path};Default Timeout=30";

    internal static void ConfigureSqlite(DbContextOptionsBuilder builder, string path) =>
        builder.UseSqlite(SqliteConnectionString(path))
            .AddInterceptors(SqliteDurability.Instance);

    /// <summary>An arbitrary, fixed key of the PostgreSQL advisory lock migrations hold.</summary>
    private const long MigrationLockKey = 0x756E686F73746564; // "unhosted"

    /// <summary>Applies pending migrations; safe to call at every start, also by several
    /// instances starting together on one database.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the one writer; the mode is stored in the file.
            // EF Core's own migration lock (a row in __EFMigrationsLock) serializes processes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await db.Database.MigrateAsync(ct);
            return;
        }

        // EF Core's PostgreSQL migration lock (LOCK TABLE on the history table, per migration
        // transaction) lets a second instance that started together with the first run the first
        // migration again on a fresh database ("relation … already exists"; the two-instance test
        // shows it). A session advisory lock around the whole Migrate makes the others wait and
        // then find nothing pending. It is released with the session if the process dies.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", ct);
            try
            {
                await db.Database.MigrateAsync(ct);
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

/// <summary>
/// Every SQLite connection commits with fsync (synchronous=FULL): a write that answered 2xx
/// must survive power loss, which WAL's NORMAL does not promise.
/// <para>And it waits for a busy write lock in SQLite's own busy handler, which retries after
/// 1, 2, 5, 10 … ms, for as long as the connection's default timeout. Without it (the driver's
/// default, busy_timeout 0) the driver retries a busy statement only every 150 ms, so any second
/// writer (a background job's upsert) would stall the write path a whole 150 ms for a lock held
/// a millisecond.</para>
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
        var timeoutMs = connection is SqliteConnection sqlite ? sqlite.DefaultTimeout * 1000L : 30_000L;
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={timeoutMs};";
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
        builder.UseApplicationServiceProvider(IdentitySchema.DesignTimeServices());
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
        builder.UseApplicationServiceProvider(IdentitySchema.DesignTimeServices());
        return new PostgresStorageDbContext(builder.Options);
    }
}
