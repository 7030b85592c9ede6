using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using UnhostedStore.Storage;

namespace UnhostedStore.Persistence;

/// <summary>A document's current version as <see cref="HotReads.FindDocumentAsync"/> reads it.</summary>
public sealed record DocumentRow(string ETag, string? ContentType, long ContentLength, DateTime LastModifiedUtc, string? BlobKey, byte[]? InlineContent);

/// <summary>A folder's own row or one of its children, as <see cref="HotReads.ListFolderAsync"/> reads them.</summary>
public sealed record ListingRow(string Path, bool IsFolder, string ETag, string? ContentType, long ContentLength, DateTime LastModifiedUtc);

/// <summary>
/// The two reads almost every storage request makes, in plain ADO.NET on the provider's own
/// data source rather than through EF Core (the query pipeline, interceptors and
/// materializer cost more than the database round trip's client side). One SQL text serves both
/// providers; on PostgreSQL the statements are prepared on each connection (auto-prepare,
/// <see cref="PersistenceServices.WithAutoPrepare"/>), and the reads of concurrent requests
/// share round trips (<see cref="ReadBatcher"/>, <see cref="DatabaseOptions.ReadRoundTrips"/>).
/// Writes stay in EF Core.
/// </summary>
public sealed class HotReads : IAsyncDisposable
{
    internal const string DocumentSql = """
        SELECT "ETag", "ContentType", "ContentLength", "LastModifiedUtc", "BlobKey", "InlineContent"
        FROM "StorageNodes" WHERE "Owner" = @owner AND "Path" = @path
        """;

    // A read by anyone but the owner (a public document) also needs the account not to be
    // leaving: a disabled account's public links stop at once (AccountDeletion). One more
    // primary-key probe, in the same statement; the owner's own reads need none, since a
    // leaving account has no valid token.
    internal const string PublicDocumentSql = DocumentSql + """

          AND NOT EXISTS (SELECT 1 FROM "AccountDeletions" WHERE "UserName" = @owner)
        """;

    // UNION ALL rather than OR: each half is one index probe (primary key; (Owner, ParentPath)).
    // The children are left out when the folder's version is one the caller already has (the
    // If-None-Match tag of a conditional GET, or the version of a cached listing).
    internal const string FolderSql = """
        SELECT "Path", "IsFolder", "ETag", "ContentType", "ContentLength", "LastModifiedUtc"
        FROM "StorageNodes" WHERE "Owner" = @owner AND "Path" = @path
        UNION ALL
        SELECT "Path", "IsFolder", "ETag", "ContentType", "ContentLength", "LastModifiedUtc"
        FROM "StorageNodes" WHERE "Owner" = @owner AND "ParentPath" = @path
          AND NOT EXISTS (SELECT 1 FROM "StorageNodes" WHERE "Owner" = @owner AND "Path" = @path AND ("ETag" = @known1 OR "ETag" = @known2))
        """;

    private readonly DbDataSource _dataSource;
    private readonly DatabaseCommandTimings _timings;
    private readonly ReadBatcher? _batcher;

    private HotReads(DbDataSource dataSource, DatabaseCommandTimings timings, ReadBatcher? batcher)
    {
        _dataSource = dataSource;
        _timings = timings;
        _batcher = batcher;
    }

    public static HotReads Create(DatabaseOptions options, DatabaseCommandTimings timings)
    {
        if (options.Provider != DatabaseProvider.Postgres)
        {
            // SQLite runs in this process: there is no round trip to share.
            return new(SqliteFactory.Instance.CreateDataSource(PersistenceServices.SqliteConnectionString(options.SqlitePath)), timings, null);
        }

        var postgres = NpgsqlDataSource.Create(GenericPlans(PersistenceServices.WithAutoPrepare(options.PostgresConnectionString!)));
        return new(postgres, timings, options.ReadRoundTrips > 0 ? new ReadBatcher(postgres, options.ReadRoundTrips, timings) : null);
    }

    /// <summary>
    /// These connections (a pool of their own) run only the two statements above, whose generic
    /// plans are right for every parameter: primary-key probes, and an index range for the
    /// children. PostgreSQL's default would keep re-planning the folder statement on every
    /// execution, because the generic estimate for "children of some folder" is the average
    /// folder, which exceeds the custom estimate for a small one (measured: 73 µs of database CPU
    /// per conditional folder GET with a 10,000-item folder beside it, and p99 above 140 ms).
    /// </summary>
    private static string GenericPlans(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = (builder.Options is { Length: > 0 } o ? o + " " : string.Empty) + "-c plan_cache_mode=force_generic_plan";
        return builder.ConnectionString;
    }

    /// <summary>The document's current row; with <paramref name="onlyIfEnabled"/>, none while
    /// the owner's account is disabled (leaving). A <paramref name="recheck"/> is answered by the
    /// same round trip.</summary>
    public Task<DocumentRow?> FindDocumentAsync(string owner, string path, CancellationToken ct, bool onlyIfEnabled = false, TokenRecheck? recheck = null) =>
        _batcher is { } batcher ? batcher.FindDocumentAsync(owner, path, onlyIfEnabled, recheck, ct) : FindDocumentAloneAsync(owner, path, onlyIfEnabled, recheck, ct);

    public Task<List<ListingRow>> ListFolderAsync(string owner, string path, string known1, string known2, CancellationToken ct, TokenRecheck? recheck = null) =>
        _batcher is { } batcher ? batcher.ListFolderAsync(owner, path, known1, known2, recheck, ct) : ListFolderAloneAsync(owner, path, known1, known2, recheck, ct);

    /// <summary>Without a batcher (SQLite, or PostgreSQL with <c>Database:ReadRoundTrips</c> 0)
    /// a recheck is a statement of its own, run before the read.</summary>
    private async Task RecheckAloneAsync(TokenRecheck recheck, CancellationToken ct)
    {
        await using var command = ((NpgsqlDataSource)_dataSource).CreateCommand(TokenRecheck.Sql);
        TokenRecheck.AddParameters(command.Parameters, [recheck]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await TokenRecheck.ReadAsync(reader, [recheck]);
    }

    private async Task<DocumentRow?> FindDocumentAloneAsync(string owner, string path, bool onlyIfEnabled, TokenRecheck? recheck, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (recheck is not null)
        {
            await RecheckAloneAsync(recheck, ct);
        }

        await using var command = _dataSource.CreateCommand(onlyIfEnabled ? PublicDocumentSql : DocumentSql);
        Add(command, "owner", owner);
        Add(command, "path", path);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, ct);
        var row = await reader.ReadAsync(ct) ? ReadDocument(reader) : null;
        _timings.Record(Stopwatch.GetElapsedTime(started));
        return row;
    }

    private async Task<List<ListingRow>> ListFolderAloneAsync(string owner, string path, string known1, string known2, TokenRecheck? recheck, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (recheck is not null)
        {
            await RecheckAloneAsync(recheck, ct);
        }

        await using var command = _dataSource.CreateCommand(FolderSql);
        Add(command, "owner", owner);
        Add(command, "path", path);
        Add(command, "known1", known1);
        Add(command, "known2", known2);
        var rows = new List<ListingRow>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(ReadListing(reader));
            }
        }

        _timings.Record(Stopwatch.GetElapsedTime(started));
        return rows;
    }

    /// <summary>The current row of <see cref="DocumentSql"/> or <see cref="PublicDocumentSql"/>.</summary>
    internal static DocumentRow ReadDocument(DbDataReader reader, int first = 0) => new(
        reader.GetString(first),
        reader.IsDBNull(first + 1) ? null : reader.GetString(first + 1),
        reader.GetInt64(first + 2),
        Utc(reader.GetDateTime(first + 3)),
        reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4),
        reader.IsDBNull(first + 5) ? null : (byte[])reader.GetValue(first + 5));

    /// <summary>The current row of <see cref="FolderSql"/>.</summary>
    internal static ListingRow ReadListing(DbDataReader reader, int first = 0) => new(
        reader.GetString(first),
        reader.GetBoolean(first + 1),
        reader.GetString(first + 2),
        reader.IsDBNull(first + 3) ? null : reader.GetString(first + 3),
        reader.GetInt64(first + 4),
        Utc(reader.GetDateTime(first + 5)));

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static void Add(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    // Both providers store UTC (timestamptz; ISO text on SQLite), read back as a DateTime whose
    // kind may be unspecified.
    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
