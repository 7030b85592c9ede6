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
    public static async Task<StorageAccount> LockAsync(StorageDbContext db, string owner, CancellationToken ct) =>
        (await LockManyAsync(db, [owner], ct))[owner];

    /// <summary>
    /// <see cref="LockAsync"/> for several users in one statement (a group commit). The rows are
    /// upserted in the order of <paramref name="owners"/>, which the caller sorts, so every
    /// instance takes PostgreSQL's row locks in one global order. Owners must be distinct.
    /// </summary>
    public static async Task<Dictionary<string, StorageAccount>> LockManyAsync(StorageDbContext db, IReadOnlyList<string> owners, CancellationToken ct)
    {
        var values = string.Join(", ", Enumerable.Range(0, owners.Count).Select(i => "({" + i + "}, 1, 0, 0, 0)"));
        var sql = $"""
            INSERT INTO "StorageAccounts" ("UserName", "WriteVersion", "UsedBytes", "DocumentCount", "HistoryBytes")
            VALUES {values}
            ON CONFLICT ("UserName") DO UPDATE SET "WriteVersion" = "StorageAccounts"."WriteVersion" + 1
            RETURNING "UserName", "WriteVersion", "UsedBytes", "DocumentCount", "HistoryBytes", "QuotaBytes", "ChangeSeq"
            """;
        var rows = await db.Database.SqlQueryRaw<AccountRow>(sql, owners.Cast<object>().ToArray()).ToListAsync(ct);
        var accounts = new Dictionary<string, StorageAccount>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var account = new StorageAccount
            {
                UserName = row.UserName!,
                WriteVersion = row.WriteVersion,
                UsedBytes = row.UsedBytes,
                DocumentCount = row.DocumentCount,
                HistoryBytes = row.HistoryBytes,
                QuotaBytes = row.QuotaBytes,
                ChangeSeq = row.ChangeSeq,
            };
            db.Accounts.Attach(account);
            accounts[account.UserName] = account;
        }

        return accounts;
    }

    private sealed class AccountRow
    {
        public string? UserName { get; set; }

        public long WriteVersion { get; set; }

        public long UsedBytes { get; set; }

        public long DocumentCount { get; set; }

        public long HistoryBytes { get; set; }

        public long? QuotaBytes { get; set; }

        public long ChangeSeq { get; set; }
    }
}
