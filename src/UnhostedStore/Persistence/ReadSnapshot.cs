using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace UnhostedStore.Persistence;

/// <summary>
/// A read-only transaction whose reads all see one committed state of the database, for work
/// that must read many rows as of one moment (an export) without blocking writers. Disposing it
/// rolls back (nothing was written) and hands the connection back clean.
/// </summary>
public sealed class ReadSnapshot : IAsyncDisposable
{
    private readonly StorageDbContext _db;
    private readonly IDbContextTransaction _efTransaction;
    private readonly DbTransaction? _ownTransaction;

    private ReadSnapshot(StorageDbContext db, IDbContextTransaction efTransaction, DbTransaction? ownTransaction)
    {
        _db = db;
        _efTransaction = efTransaction;
        _ownTransaction = ownTransaction;
    }

    public static async Task<ReadSnapshot> BeginAsync(StorageDbContext db, CancellationToken ct)
    {
        if (db.Database.IsSqlite())
        {
            // A deferred transaction takes no lock at BEGIN; in WAL mode (set at migration) its
            // first read pins a snapshot that later commits do not change, and writers go on.
            // The provider's default BEGIN IMMEDIATE would hold the write lock for the whole read.
            await db.Database.OpenConnectionAsync(ct);
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            var transaction = connection.BeginTransaction(deferred: true);
            var ef = await db.Database.UseTransactionAsync(transaction, ct)
                ?? throw new InvalidOperationException("The SQLite transaction was not taken up.");
            return new ReadSnapshot(db, ef, transaction);
        }

        // PostgreSQL: REPEATABLE READ takes its snapshot at the first statement and keeps it.
        return new ReadSnapshot(db, await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _efTransaction.DisposeAsync();
        if (_ownTransaction is not null)
        {
            await _ownTransaction.DisposeAsync();
            await _db.Database.UseTransactionAsync(null);
            await _db.Database.CloseConnectionAsync();
        }
    }
}
