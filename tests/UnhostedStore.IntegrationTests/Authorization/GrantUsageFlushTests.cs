using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Authorization;

/// <summary>
/// The "last used" times of grants go to the database in a few transactions of many grants each,
/// not one commit per grant between the storage writes.
/// </summary>
public abstract class GrantUsageFlushTests(ServerFixture server)
{
    [Fact]
    public async Task Uses_of_more_grants_than_one_transaction_holds_are_stored_in_one_transaction_per_batch_and_none_stays_pending()
    {
        var tracker = server.Services.GetRequiredService<GrantUsageTracker>();
        var prefix = "flush-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var ids = Enumerable.Range(0, (GrantUsageTracker.FlushBatch * 2) + 7).Select(i => prefix + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var id in ids)
        {
            tracker.Record(id);
        }

        var commands = await DatabaseCommands.OfAsync(() => tracker.FlushAsync(server.Services, force: true, CancellationToken.None));

        Assert.Equal(ids.Count, commands.Count(c => c.Contains("INSERT INTO \"GrantUsage\"", StringComparison.Ordinal)));
        Assert.Equal(3, commands.Count(c => c == DatabaseCommands.TransactionStarted));
        Assert.All(ids, id => Assert.Null(tracker.Pending(id)));
        await using var scope = server.CreateScope();
        var stored = await ServerFixture.Db(scope).GrantUsage.AsNoTracking().Where(u => u.AuthorizationId.StartsWith(prefix)).CountAsync();
        Assert.Equal(ids.Count, stored);
    }
}

public sealed class GrantUsageFlushTests_Sqlite(SqliteServerFixture server) : GrantUsageFlushTests(server), IClassFixture<SqliteServerFixture>;

public sealed class GrantUsageFlushTests_Postgres(PostgresServerFixture server) : GrantUsageFlushTests(server), IClassFixture<PostgresServerFixture>;
