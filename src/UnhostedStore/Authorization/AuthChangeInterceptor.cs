using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace UnhostedStore.Authorization;

/// <summary>
/// Makes this process's own token and grant changes take effect in
/// <see cref="ValidatedTokenCache"/> synchronously, whichever code makes them (our
/// <see cref="Grants"/>, OpenIddict's code-replay revocation, a test): the database triggers'
/// notification (<see cref="AuthChangeFeeds"/>) reaches other processes, but on PostgreSQL it
/// arrives asynchronously. A statement that updates or deletes token or grant rows empties the
/// cache once it is committed: at once outside a transaction, at commit inside one.
/// </summary>
public sealed class AuthChangeInterceptor(ValidatedTokenCache cache) : DbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly string[] Markers =
    [
        "UPDATE \"OpenIddictTokens\"",
        "DELETE FROM \"OpenIddictTokens\"",
        "UPDATE \"OpenIddictAuthorizations\"",
        "DELETE FROM \"OpenIddictAuthorizations\"",
    ];

    /// <summary>Transactions that changed token or grant rows, until they commit.</summary>
    private readonly ConditionalWeakTable<DbTransaction, object> _pending = [];

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (_pending.Remove(transaction))
        {
            cache.Clear();
        }
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    private void Check(DbCommand command)
    {
        var sql = command.CommandText;
        if (!sql.Contains("\"OpenIddict", StringComparison.Ordinal))
        {
            return;
        }

        foreach (var marker in Markers)
        {
            if (sql.Contains(marker, StringComparison.Ordinal))
            {
                if (command.Transaction is { } transaction)
                {
                    _pending.AddOrUpdate(transaction, this);
                }
                else
                {
                    cache.Clear();
                }

                return;
            }
        }
    }
}
