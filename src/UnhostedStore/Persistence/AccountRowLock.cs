using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;

namespace UnhostedStore.Persistence;

/// <summary>The SQL of the per-user write lock: one statement, the same on both providers.</summary>
public static class AccountRowLock
{
    /// <summary>
    /// Upserts the user's <see cref="StorageAccount"/> row, bumping its write counter, and
    /// returns it attached to <paramref name="db"/>. In PostgreSQL the upsert holds the row lock
    /// until commit, so writes of one user are serialized even across server processes; SQLite
    /// serializes all writers anyway. Call it inside a transaction.
    /// </summary>
    public static async Task<StorageAccount> LockAsync(StorageDbContext db, string owner, CancellationToken ct)
    {
        var rows = await db.Database.SqlQuery<AccountRow>($"""
            INSERT INTO "StorageAccounts" ("UserName", "WriteVersion", "UsedBytes", "DocumentCount", "HistoryBytes")
            VALUES ({owner}, 1, 0, 0, 0)
            ON CONFLICT ("UserName") DO UPDATE SET "WriteVersion" = "StorageAccounts"."WriteVersion" + 1
            RETURNING "WriteVersion", "UsedBytes", "DocumentCount", "HistoryBytes", "QuotaBytes", "ChangeSeq"
            """).ToListAsync(ct);
        var row = rows[0];
        var account = new StorageAccount
        {
            UserName = owner,
            WriteVersion = row.WriteVersion,
            UsedBytes = row.UsedBytes,
            DocumentCount = row.DocumentCount,
            HistoryBytes = row.HistoryBytes,
            QuotaBytes = row.QuotaBytes,
            ChangeSeq = row.ChangeSeq,
        };
        db.Accounts.Attach(account);
        return account;
    }

    private sealed class AccountRow
    {
        public long WriteVersion { get; set; }

        public long UsedBytes { get; set; }

        public long DocumentCount { get; set; }

        public long HistoryBytes { get; set; }

        public long? QuotaBytes { get; set; }

        public long ChangeSeq { get; set; }
    }
}
