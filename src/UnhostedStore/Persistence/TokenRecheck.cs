using Npgsql;

namespace UnhostedStore.Persistence;

/// <summary>
/// An access token whose validation this process remembers, confirmed again by the round trip of
/// the storage read it came for. Another instance's revocation reaches this process's memory
/// asynchronously (a PostgreSQL notification), but the database has it from its commit on: a
/// read that starts after the revocation was acknowledged also finds the token no longer valid,
/// at the price of one more statement in a round trip that happens anyway, never a round trip
/// of its own (<see cref="ReadBatcher"/>).
/// <para>The conditions are those of OpenIddict's token and authorization entry validation: the
/// token row exists, is <c>valid</c> and unexpired, and its grant is <c>valid</c>.</para>
/// </summary>
public sealed class TokenRecheck(string tokenId, DateTime nowUtc)
{
    internal const string Sql = """
        SELECT t."Id" FROM "OpenIddictTokens" t
        WHERE t."Id" = ANY(@ids) AND t."Status" = 'valid'
          AND (t."ExpirationDate" IS NULL OR t."ExpirationDate" > @now)
          AND (t."AuthorizationId" IS NULL
               OR EXISTS (SELECT 1 FROM "OpenIddictAuthorizations" a WHERE a."Id" = t."AuthorizationId" AND a."Status" = 'valid'))
        """;

    public string TokenId { get; } = tokenId;

    /// <summary>The clock's time for the expiry test (the same clock as the cache's own).</summary>
    public DateTime NowUtc { get; } = DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc);

    /// <summary>The answer, set before the read it came with is answered; null when the read
    /// has not run (or failed).</summary>
    public bool? StillValid { get; internal set; }

    /// <summary>One statement for the rechecks of a round trip: the ids still valid.</summary>
    internal static NpgsqlBatchCommand Command(IReadOnlyList<TokenRecheck> rechecks)
    {
        var command = new NpgsqlBatchCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", rechecks.Select(r => r.TokenId).Distinct(StringComparer.Ordinal).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", rechecks.Min(r => r.NowUtc)));
        return command;
    }

    /// <summary>Reads the statement's rows (the reader is on its result) and answers each recheck.</summary>
    internal static async Task ReadAsync(System.Data.Common.DbDataReader reader, IReadOnlyList<TokenRecheck> rechecks)
    {
        var valid = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            valid.Add(reader.GetString(0));
        }

        foreach (var recheck in rechecks)
        {
            recheck.StillValid = valid.Contains(recheck.TokenId);
        }
    }
}
