using System.Data.Common;
using System.Diagnostics;
using Npgsql;

namespace UnhostedStore.Persistence;

/// <summary>
/// The read-side twin of the per-user group commit, for PostgreSQL: the hot reads of requests
/// that arrive while a round trip is under way go together into the next one, as one
/// <see cref="NpgsqlBatch"/> (one write, one PostgreSQL backend wake-up, one flush of the
/// answers, one read). A lone read runs the statement <see cref="HotReads"/> runs on SQLite; the
/// owners' document reads of one round trip are one statement over arrays of keys, and so are its
/// folder reads (one executor run instead of one per read: most of PostgreSQL's cost of a
/// primary-key read is the statement around it, not the index probe).
/// <para>Never stale: a read joins only a round trip that has not been sent yet, and every
/// statement takes its own snapshot when PostgreSQL runs it (READ COMMITTED), so it sees every
/// write committed before its request arrived, whichever instance wrote it. Nothing read by an
/// earlier round trip is ever handed out again.</para>
/// <para>A read may bring a <see cref="TokenRecheck"/>: the round trip then starts with one
/// statement that answers all of its rechecks, before any of its reads is answered.</para>
/// <para>At most <c>roundTrips</c> batches are in flight at once. The request that finds a
/// free slot sends the batch itself (a lone read costs what it did before); later batches are
/// sent by whichever round trip finishes, with everything that queued up meanwhile.</para>
/// </summary>
internal sealed class ReadBatcher(NpgsqlDataSource dataSource, int roundTrips, DatabaseCommandTimings timings)
{
    /// <summary>Statements per round trip at most (bounds one answer's size and wait).</summary>
    public const int MaxBatch = 64;

    private readonly Lock _lock = new();
    private List<Lookup> _pending = [];
    private int _running;

    public Task<DocumentRow?> FindDocumentAsync(string owner, string path, bool onlyIfEnabled, TokenRecheck? recheck, CancellationToken ct)
    {
        var lookup = new DocumentLookup(owner, path, onlyIfEnabled) { Recheck = recheck };
        Submit(lookup);
        return lookup.Result.Task.WaitAsync(ct);
    }

    public Task<List<ListingRow>> ListFolderAsync(string owner, string path, string known1, string known2, TokenRecheck? recheck, CancellationToken ct)
    {
        var lookup = new FolderLookup(owner, path, known1, known2) { Recheck = recheck };
        Submit(lookup);
        return lookup.Result.Task.WaitAsync(ct);
    }

    private void Submit(Lookup lookup)
    {
        lock (_lock)
        {
            _pending.Add(lookup);
            if (_running >= roundTrips)
            {
                return;
            }

            _running++;
        }

        // Runs on this request's own thread up to the first real wait (the answer), so a read
        // that finds no round trip running is sent without a thread switch.
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        while (true)
        {
            List<Lookup> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _running--;
                    return;
                }

                if (_pending.Count <= MaxBatch)
                {
                    batch = _pending;
                    _pending = [];
                }
                else
                {
                    batch = _pending.GetRange(0, MaxBatch);
                    _pending.RemoveRange(0, MaxBatch);
                }
            }

            try
            {
                await SendAsync(batch);
            }
            catch (Exception e)
            {
                // The same failure for every read of the batch (a lost connection is a 503 for
                // each); reads already answered keep their answer.
                foreach (var lookup in batch)
                {
                    lookup.Fail(e);
                }
            }
        }
    }

    private async Task SendAsync(List<Lookup> batch)
    {
        var started = Stopwatch.GetTimestamp();
        List<TokenRecheck>? rechecks = null;
        foreach (var lookup in batch)
        {
            if (lookup.Recheck is { } recheck)
            {
                (rechecks ??= []).Add(recheck);
            }
        }

        batch = Group(batch);
        await using var command = dataSource.CreateBatch();

        // First, so that every recheck has its answer before the read it came with is answered.
        if (rechecks is not null)
        {
            command.BatchCommands.Add(TokenRecheck.Command(rechecks));
        }

        foreach (var lookup in batch)
        {
            command.BatchCommands.Add(lookup.CreateCommand());
        }

        // No cancellation: the batch serves other requests too; a request that goes away
        // only stops waiting for its own answer.
        await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
        {
            if (rechecks is not null)
            {
                await TokenRecheck.ReadAsync(reader, rechecks);
                if (!await reader.NextResultAsync(CancellationToken.None))
                {
                    throw new InvalidOperationException("a read batch returned fewer results than it had statements");
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0 && !await reader.NextResultAsync(CancellationToken.None))
                {
                    throw new InvalidOperationException("a read batch returned fewer results than it had statements");
                }

                await batch[i].ReadAsync(reader);
            }
        }

        timings.Record(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The batch as statements: the owners' document reads together, the folder reads
    /// together (each group of two or more as one statement), a public read each on its own (it
    /// also checks the account, and is rare).</summary>
    private static List<Lookup> Group(List<Lookup> batch)
    {
        List<DocumentLookup>? documents = null;
        List<FolderLookup>? folders = null;
        List<Lookup> rest = [];
        foreach (var lookup in batch)
        {
            if (lookup is DocumentLookup { OnlyIfEnabled: false } d)
            {
                (documents ??= []).Add(d);
            }
            else if (lookup is FolderLookup f)
            {
                (folders ??= []).Add(f);
            }
            else
            {
                rest.Add(lookup);
            }
        }

        if (documents is { Count: > 1 })
        {
            rest.Add(new DocumentGroup(documents));
        }
        else if (documents is { Count: 1 })
        {
            rest.Add(documents[0]);
        }

        if (folders is { Count: > 1 })
        {
            rest.Add(new FolderGroup(folders));
        }
        else if (folders is { Count: 1 })
        {
            rest.Add(folders[0]);
        }

        return rest;
    }

    /// <summary>
    /// <see cref="HotReads.FolderSql"/> for many folders: each folder's row and, unless its
    /// version is one the caller already has, its children; rows tagged with the read's position.
    /// The version test refers only to the folder's own row, so PostgreSQL skips the children's
    /// index scan for that folder when it fails, as the single statement's NOT EXISTS does.
    /// A folder without a row (empty, draft-26 §4) gets no rows, as alone.
    /// </summary>
    private sealed class FolderGroup(List<FolderLookup> lookups) : Lookup
    {
        private const string Sql = """
            SELECT k.i, n."Path", n."IsFolder", n."ETag", n."ContentType", n."ContentLength", n."LastModifiedUtc"
            FROM unnest(@owners, @paths, @known1, @known2) WITH ORDINALITY AS k("Owner", "Path", "Known1", "Known2", i)
            JOIN "StorageNodes" s ON s."Owner" = k."Owner" AND s."Path" = k."Path"
            CROSS JOIN LATERAL (
                SELECT s."Path", s."IsFolder", s."ETag", s."ContentType", s."ContentLength", s."LastModifiedUtc"
                UNION ALL
                SELECT c."Path", c."IsFolder", c."ETag", c."ContentType", c."ContentLength", c."LastModifiedUtc"
                FROM "StorageNodes" c WHERE c."Owner" = k."Owner" AND c."ParentPath" = k."Path"
                  AND s."ETag" <> k."Known1" AND s."ETag" <> k."Known2"
            ) n
            """;

        public override NpgsqlBatchCommand CreateCommand()
        {
            var command = new NpgsqlBatchCommand(Sql);
            command.Parameters.Add(new NpgsqlParameter<string[]>("owners", lookups.Select(l => l.Owner).ToArray()));
            command.Parameters.Add(new NpgsqlParameter<string[]>("paths", lookups.Select(l => l.Path).ToArray()));
            command.Parameters.Add(new NpgsqlParameter<string[]>("known1", lookups.Select(l => l.Known1).ToArray()));
            command.Parameters.Add(new NpgsqlParameter<string[]>("known2", lookups.Select(l => l.Known2).ToArray()));
            return command;
        }

        public override async Task ReadAsync(DbDataReader reader)
        {
            var rows = new List<ListingRow>?[lookups.Count];
            while (await reader.ReadAsync(CancellationToken.None))
            {
                (rows[reader.GetInt64(0) - 1] ??= []).Add(HotReads.ReadListing(reader, 1));
            }

            for (var i = 0; i < rows.Length; i++)
            {
                lookups[i].Result.TrySetResult(rows[i] ?? []);
            }
        }

        public override void Fail(Exception e)
        {
            foreach (var lookup in lookups)
            {
                lookup.Fail(e);
            }
        }
    }

    /// <summary><see cref="HotReads.DocumentSql"/> for many documents, each row tagged with its
    /// read's position (a missing document has none).</summary>
    private sealed class DocumentGroup(List<DocumentLookup> lookups) : Lookup
    {
        private const string Sql = """
            SELECT k.i, n."ETag", n."ContentType", n."ContentLength", n."LastModifiedUtc", n."BlobKey", n."InlineContent"
            FROM unnest(@owners, @paths) WITH ORDINALITY AS k("Owner", "Path", i)
            JOIN "StorageNodes" n ON n."Owner" = k."Owner" AND n."Path" = k."Path"
            """;

        public override NpgsqlBatchCommand CreateCommand()
        {
            var owners = new string[lookups.Count];
            var paths = new string[lookups.Count];
            for (var i = 0; i < lookups.Count; i++)
            {
                owners[i] = lookups[i].Owner;
                paths[i] = lookups[i].Path;
            }

            var command = new NpgsqlBatchCommand(Sql);
            command.Parameters.Add(new NpgsqlParameter<string[]>("owners", owners));
            command.Parameters.Add(new NpgsqlParameter<string[]>("paths", paths));
            return command;
        }

        public override async Task ReadAsync(DbDataReader reader)
        {
            var rows = new DocumentRow?[lookups.Count];
            while (await reader.ReadAsync(CancellationToken.None))
            {
                rows[reader.GetInt64(0) - 1] = HotReads.ReadDocument(reader, 1);
            }

            for (var i = 0; i < rows.Length; i++)
            {
                lookups[i].Result.TrySetResult(rows[i]);
            }
        }

        public override void Fail(Exception e)
        {
            foreach (var lookup in lookups)
            {
                lookup.Fail(e);
            }
        }
    }

    private abstract class Lookup
    {
        /// <summary>The token to confirm in the same round trip, if any.</summary>
        public TokenRecheck? Recheck { get; init; }

        public abstract NpgsqlBatchCommand CreateCommand();

        /// <summary>Reads this statement's rows (the reader is on its result) and answers.</summary>
        public abstract Task ReadAsync(DbDataReader reader);

        public abstract void Fail(Exception e);

        protected static NpgsqlBatchCommand Command(string sql, params ReadOnlySpan<(string Name, string Value)> parameters)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter<string>(name, value));
            }

            return command;
        }
    }

    private sealed class DocumentLookup(string owner, string path, bool onlyIfEnabled) : Lookup
    {
        public string Owner => owner;

        public string Path => path;

        public bool OnlyIfEnabled => onlyIfEnabled;

        public TaskCompletionSource<DocumentRow?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override NpgsqlBatchCommand CreateCommand() =>
            Command(onlyIfEnabled ? HotReads.PublicDocumentSql : HotReads.DocumentSql, ("owner", owner), ("path", path));

        public override async Task ReadAsync(DbDataReader reader)
        {
            DocumentRow? row = null;
            while (await reader.ReadAsync(CancellationToken.None))
            {
                row = HotReads.ReadDocument(reader);
            }

            Result.TrySetResult(row);
        }

        public override void Fail(Exception e) => Result.TrySetException(e);
    }

    private sealed class FolderLookup(string owner, string path, string known1, string known2) : Lookup
    {
        public string Owner => owner;

        public string Path => path;

        public string Known1 => known1;

        public string Known2 => known2;

        public TaskCompletionSource<List<ListingRow>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override NpgsqlBatchCommand CreateCommand() =>
            Command(HotReads.FolderSql, ("owner", owner), ("path", path), ("known1", known1), ("known2", known2));

        public override async Task ReadAsync(DbDataReader reader)
        {
            var rows = new List<ListingRow>();
            while (await reader.ReadAsync(CancellationToken.None))
            {
                rows.Add(HotReads.ReadListing(reader));
            }

            Result.TrySetResult(rows);
        }

        public override void Fail(Exception e) => Result.TrySetException(e);
    }
}
