using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

public sealed partial class WriteBatch
{
    /// <summary>
    /// Of the access tokens the batch's writes came with, those that are no longer valid (the
    /// conditions of OpenIddict's token and authorization entry validation: the token row exists,
    /// is <c>valid</c> and unexpired, its grant is <c>valid</c>). Read under the user's lock, in
    /// the write transaction, so a write is never committed after its token's revocation was:
    /// <list type="bullet">
    /// <item>PostgreSQL: the token and grant rows are share-locked until the commit, so a
    /// revocation that has not committed yet waits for it (the write happened before it), and one
    /// that has is seen here (READ COMMITTED: this statement's snapshot is taken after the
    /// lock);</item>
    /// <item>SQLite: the write transaction holds the database's write lock since the account
    /// row's upsert, so no revocation can commit before this commit.</item>
    /// </list>
    /// A token validated a moment ago, or answered from another instance's memory that a
    /// revocation had not reached yet, is refused alike.
    /// </summary>
    private async Task<HashSet<string>> InvalidTokensAsync(IReadOnlyList<PendingWrite> batch, DateTime now)
    {
        var ids = batch.Select(w => w.TokenId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var postgres = db.Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true;
        var lockRows = postgres ? " FOR SHARE" : string.Empty;
        // EF's {n} placeholders become parameters: the ids, then the time.
        var list = string.Join(", ", Enumerable.Range(0, ids.Count).Select(i => "{" + i + "}"));
        var nowParameter = "{" + ids.Count + "}";
        var sql = $"""
            SELECT t."Id" AS "Value" FROM "OpenIddictTokens" AS t
            WHERE t."Id" IN ({list}) AND t."Status" = 'valid'
              AND (t."ExpirationDate" IS NULL OR t."ExpirationDate" > {nowParameter})
              AND (t."AuthorizationId" IS NULL OR EXISTS (
                  SELECT 1 FROM "OpenIddictAuthorizations" AS a WHERE a."Id" = t."AuthorizationId" AND a."Status" = 'valid'{lockRows}))
            {lockRows}
            """;
        var parameters = ids.Cast<object>().Append(now).ToArray();
        var valid = await db.Database.SqlQueryRaw<string>(sql, parameters).ToListAsync(CancellationToken.None);
        ids.RemoveAll(valid.Contains);
        return new HashSet<string>(ids, StringComparer.Ordinal);
    }
}
