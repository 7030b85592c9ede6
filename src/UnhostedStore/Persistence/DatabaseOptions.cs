using FluentValidation;

namespace UnhostedStore.Persistence;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Where metadata lives. <c>ConnectionStrings:Postgres</c> selects PostgreSQL; otherwise a
/// SQLite file in <c>DataDirectory</c> (the embedded default). <c>Database:MigrateOnStart</c>
/// (default true) applies pending migrations when the server starts.
/// <c>Database:ReadRoundTrips</c> (PostgreSQL only, default 2): how many round trips of the
/// storage hot reads may be in flight at once; the reads of requests that arrive meanwhile share
/// the next one (<see cref="ReadBatcher"/>). <c>0</c> gives every read a round trip of its own.
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public bool MigrateOnStart { get; set; } = true;

    public int ReadRoundTrips { get; set; } = 2;

    /// <summary>Bound from <c>ConnectionStrings:Postgres</c>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Bound from <c>DataDirectory</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    public DatabaseProvider Provider => string.IsNullOrWhiteSpace(PostgresConnectionString) ? DatabaseProvider.Sqlite : DatabaseProvider.Postgres;

    public string SqlitePath => Path.Combine(Path.GetFullPath(DataDirectory), "unhostedstore.db");

    public static DatabaseOptions FromConfiguration(IConfiguration configuration)
    {
        var options = new DatabaseOptions();
        configuration.GetSection(Section).Bind(options);
        options.PostgresConnectionString = configuration.GetConnectionString("Postgres");
        options.DataDirectory = configuration["DataDirectory"] is { Length: > 0 } dir ? dir : "./data";
        return options;
    }
}

public sealed class DatabaseOptionsValidator : AbstractValidator<DatabaseOptions>
{
    public DatabaseOptionsValidator()
    {
        RuleFor(o => o.DataDirectory).NotEmpty().WithName("DataDirectory");
        RuleFor(o => o.ReadRoundTrips).InclusiveBetween(0, 64).WithName("Database:ReadRoundTrips");
    }
}
