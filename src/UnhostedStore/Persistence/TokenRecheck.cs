using Npgsql;

namespace UnhostedStore.Persistence;

/// <summary>
/// An access token whose validation this process remembers, confirmed again by the round trip of
/// the storage read it came for. Another instance's revocation reaches this process's memory
/// asynchronously (a PostgreSQL notification), but the database has it from its commit on: a
/// read that starts after the revocation was acknowledged also finds the token no longer valid,
/// at the price of one more statement in a round trip that happens anyway, never a round trip
/// of its own (<see cref="ReadBatcher"/>).
/// <para>The statement reads the database's change counter (<c>AuthEpoch</c>, moved by every
/// token or grant change in the changing transaction). Usually it has not moved past
/// <see cref="HandledEpoch"/>, the last change this process had handled before its cache
/// answered: then nothing can have revoked the token unseen, and the statement is one
/// primary-key probe. Only when it has moved does it check the token itself, with the conditions
/// of OpenIddict's token and authorization entry validation: the token row exists, is
/// <c>valid</c> and unexpired, and its grant is <c>valid</c>.</para>
/// </summary>
public sealed class TokenRecheck(string tokenId, DateTime nowUtc, long handledEpoch)
{
    // The ARRAY sub-select runs only when the CASE needs it (a counter past @seen).
    internal const string Sql = """
        SELECT e."Epoch", CASE WHEN e."Epoch" > @seen THEN ARRAY(
            SELECT t."Id" FROM "OpenIddictTokens" t
            WHERE t."Id" = ANY(@ids) AND t."Status" = 'valid'
              AND (t."ExpirationDate" IS NULL OR t."ExpirationDate" > @now)
              AND (t."AuthorizationId" IS NULL
                   OR EXISTS (SELECT 1 FROM "OpenIddictAuthorizations" a WHERE a."Id" = t."AuthorizationId" AND a."Status" = 'valid')))
        END
        FROM "AuthEpoch" e WHERE e."Id" = 1
        """;

    public string TokenId { get; } = tokenId;

    /// <summary>The clock's time for the expiry test (the same clock as the cache's own).</summary>
    public DateTime NowUtc { get; } = DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc);

    /// <summary>The change counter's value up to which this process had handled every change
    /// when its cache answered for the token.</summary>
    public long HandledEpoch { get; } = handledEpoch;

    /// <summary>The answer, set before the read it came with is answered; null when the read
    /// has not run (or failed).</summary>
    public bool? StillValid { get; internal set; }

    /// <summary>One statement for the rechecks of a round trip.</summary>
    internal static NpgsqlBatchCommand Command(IReadOnlyList<TokenRecheck> rechecks)
    {
        var command = new NpgsqlBatchCommand(Sql);
        AddParameters(command.Parameters, rechecks);
        return command;
    }

    internal static void AddParameters(NpgsqlParameterCollection parameters, IReadOnlyList<TokenRecheck> rechecks)
    {
        var seen = long.MaxValue;
        var now = DateTime.MaxValue;
        foreach (var recheck in rechecks)
        {
            seen = Math.Min(seen, recheck.HandledEpoch);
            now = recheck.NowUtc < now ? recheck.NowUtc : now;
        }

        parameters.Add(new NpgsqlParameter<long>("seen", seen));
        parameters.Add(new NpgsqlParameter<string[]>("ids", rechecks.Select(r => r.TokenId).Distinct(StringComparer.Ordinal).ToArray()));
        parameters.Add(new NpgsqlParameter<DateTime>("now", DateTime.SpecifyKind(now, DateTimeKind.Utc)));
    }

    /// <summary>Reads the statement's row (the reader is on its result) and answers each recheck.
    /// Without the counter's row nothing is confirmed.</summary>
    internal static async Task ReadAsync(System.Data.Common.DbDataReader reader, IReadOnlyList<TokenRecheck> rechecks)
    {
        var epoch = long.MaxValue;
        string[]? valid = null;
        while (await reader.ReadAsync(CancellationToken.None))
        {
            epoch = reader.GetInt64(0);
            valid = reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1);
        }

        foreach (var recheck in rechecks)
        {
            recheck.StillValid = epoch <= recheck.HandledEpoch
                || (valid is not null && Array.IndexOf(valid, recheck.TokenId) >= 0);
        }
    }
}
