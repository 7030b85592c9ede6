using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using static UnhostedStore.IntegrationTests.Files.MoveTestHelpers;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Writes of different users share transactions (<see cref="CommitGroups"/>): every user's
/// writes still behave exactly as if alone (ETags, folder versions, counters, the change log's
/// numbering), and one user's refused or failing write never costs another user theirs.
/// Some tests hold the write path (a write transaction of the test's own on SQLite, the row
/// locks of a few users on PostgreSQL) until every write has queued, so the writes that follow
/// certainly share one transaction.
/// </summary>
public abstract class CrossUserCommitTests(ServerFixture server) : ConcurrencyTestBase
{
    protected override ServerFixture Server => server;

    private CommitGroups Groups => server.Services.GetRequiredService<CommitGroups>();

    [Fact]
    public async Task Fifty_users_writing_at_once_each_read_back_what_they_were_answered_with_right_counters_and_change_log()
    {
        var users = Enumerable.Range(0, 50).Select(_ => NewWriter()).ToList();
        using var client = NewParallelClient();

        var results = await Task.WhenAll(users.Select(async u =>
        {
            var a = await PutAsync(client, u.Token, u.Url("/app/a"), "first a of " + u.Name);
            var b = await PutAsync(client, u.Token, u.Url("/app/b"), "b of " + u.Name);
            var a2 = await PutAsync(client, u.Token, u.Url("/app/a"), "second a of " + u.Name + new string('x', u.Name.Length), ifMatch: a.ETag);
            var gone = await DeleteAsync(client, u.Token, u.Url("/app/b"), ifMatch: b.ETag);
            return (u, a, b, a2, gone);
        }));

        foreach (var (u, a, b, a2, gone) in results)
        {
            Assert.Equal(
                (HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK),
                (a.Status, b.Status, a2.Status, gone.Status));
            var read = await GetAsync(client, u.Token, u.Url("/app/a"));
            Assert.Equal((HttpStatusCode.OK, a2.ETag, a2.Body), (read.Status, read.ETag, read.Text));
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, u.Token, u.Url("/app/b"))).Status);
            var listing = await ListAsync(client, u.Token, u.Url("/app/"));
            Assert.Equal(["a"], listing.Items.Keys);
            Assert.Equal(a2.ETag!.Trim('"'), listing.Items["a"].GetProperty("ETag").GetString());

            await AssertTreeInvariantsAsync(u.Name);
            long bytes = Encoding.UTF8.GetByteCount(a2.Body);
            await using var scope = server.CreateScope();
            var db = ServerFixture.Db(scope);
            var module = await db.ModuleUsage.AsNoTracking().SingleAsync(m => m.Owner == u.Name && m.Module == "app");
            Assert.Equal((bytes, 1L), (module.UsedBytes, (long)module.DocumentCount));
            var log = await db.ChangeLog.AsNoTracking().Where(c => c.Owner == u.Name).OrderBy(c => c.Seq).ToListAsync();
            Assert.Equal([1L, 2L, 3L, 4L], log.Select(c => c.Seq));
            Assert.Equal(["/app/a", "/app/b", "/app/a", "/app/b"], log.Select(c => c.Path));
            Assert.Equal([a.ETag!.Trim('"'), b.ETag!.Trim('"'), a2.ETag.Trim('"'), null], log.Select(c => c.ETag));
        }
    }

    [Fact]
    public async Task In_one_shared_transaction_a_write_over_the_quota_and_a_failed_precondition_fail_alone_and_every_other_user_commits()
    {
        var normal = Enumerable.Range(0, 40).Select(_ => NewWriter()).ToList();
        var overQuota = NewWriter();
        var stale = NewWriter();
        using var client = NewParallelClient();
        var warm = await WarmUpAsync(client, [.. normal, overQuota, stale]);
        var usedBefore = await UsedBytesAsync(overQuota.Name);
        await SetQuotaAsync(server, overQuota.Name, usedBefore);

        var (outcomes, grouped) = await InOneGroupAsync(client, [.. normal, overQuota, stale], u =>
            u == overQuota ? PutAsync(client, u.Token, u.Url("/app/big"), new string('q', 100))
            : u == stale ? PutAsync(client, u.Token, u.Url("/app/warm"), "stale", ifMatch: "\"not-the-current-version\"")
            : PutAsync(client, u.Token, u.Url("/app/new"), "new of " + u.Name));

        Assert.True(grouped, "the writes did not all queue for one shared transaction");
        Assert.Equal(HttpStatusCode.InsufficientStorage, outcomes[overQuota].Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, outcomes[stale].Status);
        foreach (var u in normal)
        {
            Assert.Equal(HttpStatusCode.Created, outcomes[u].Status);
            var read = await GetAsync(client, u.Token, u.Url("/app/new"));
            Assert.Equal((HttpStatusCode.OK, outcomes[u].ETag, outcomes[u].Body), (read.Status, read.ETag, read.Text));
            await AssertTreeInvariantsAsync(u.Name);
        }

        // The refused users' storage is as it was: no document, the same versions, no log entry.
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, overQuota.Token, overQuota.Url("/app/big"))).Status);
        Assert.Equal(usedBefore, await UsedBytesAsync(overQuota.Name));
        var staleRead = await GetAsync(client, stale.Token, stale.Url("/app/warm"));
        Assert.Equal((warm[stale], "warm"), (staleRead.ETag, staleRead.Text));
        foreach (var u in new[] { overQuota, stale })
        {
            await using var scope = server.CreateScope();
            Assert.Equal(1, await ServerFixture.Db(scope).ChangeLog.CountAsync(c => c.Owner == u.Name));
            await AssertTreeInvariantsAsync(u.Name);
        }
    }

    [Fact]
    public async Task A_database_error_for_one_user_in_a_shared_transaction_fails_only_that_users_write()
    {
        var normal = Enumerable.Range(0, 30).Select(_ => NewWriter()).ToList();
        var failing = NewWriter();
        using var client = NewParallelClient();
        await WarmUpAsync(client, [.. normal, failing]);
        var name = "t" + Guid.NewGuid().ToString("N")[..12];
        await RefuseInsertsAsync(name, $"/app/{name}");
        try
        {
            var (outcomes, grouped) = await InOneGroupAsync(client, [.. normal, failing], u =>
                PutAsync(client, u.Token, u.Url(u == failing ? $"/app/{name}" : "/app/new"), "new of " + u.Name));

            Assert.True(grouped, "the writes did not all queue for one shared transaction");
            Assert.Equal(HttpStatusCode.InternalServerError, outcomes[failing].Status);
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, failing.Token, failing.Url($"/app/{name}"))).Status);
            await AssertTreeInvariantsAsync(failing.Name);
            foreach (var u in normal)
            {
                Assert.Equal(HttpStatusCode.Created, outcomes[u].Status);
                var read = await GetAsync(client, u.Token, u.Url("/app/new"));
                Assert.Equal((HttpStatusCode.OK, outcomes[u].ETag), (read.Status, read.ETag));
                await AssertTreeInvariantsAsync(u.Name);
            }
        }
        finally
        {
            await AllowInsertsAsync(name);
        }
    }

    [Fact]
    public async Task A_shared_transaction_runs_its_statements_once_for_all_its_users_not_once_per_user()
    {
        var users = Enumerable.Range(0, 40).Select(_ => NewWriter()).ToList();
        using var client = NewParallelClient();
        await WarmUpAsync(client, users);
        var group = users.Select(u => new UserBatch(u.Name, [DatabaseCommands.Put("/app/shared", "shared of " + u.Name)])).ToList();

        var commands = await DatabaseCommands.OfAsync(async () =>
        {
            await using var scope = server.CreateScope();
            await scope.ServiceProvider.GetRequiredService<WriteBatch>().CommitGroupAsync(group);
        });

        // Alone, each user's part would take its own lock and read its own rows and counters:
        // 40 locks and 80 reads here. The rows' own changes are a statement each on SQLite.
        Assert.Single(commands, c => c.Contains("INSERT INTO \"StorageAccounts\"", StringComparison.Ordinal));
        Assert.Equal(2, commands.Count(c => c.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)));
        foreach (var (u, batch) in users.Zip(group))
        {
            Assert.Null(batch.Error);
            Assert.IsType<StorageOutcome.Created>(batch.Writes[0].Outcome);
            var read = await GetAsync(client, u.Token, u.Url("/app/shared"));
            Assert.Equal((HttpStatusCode.OK, "shared of " + u.Name), (read.Status, read.Text));
            await AssertTreeInvariantsAsync(u.Name);
        }
    }

    [Fact]
    public async Task A_move_stays_all_or_nothing_while_other_users_write()
    {
        var others = Enumerable.Range(0, 30).Select(_ => NewWriter()).ToList();
        var mover = NewWriter();
        using var client = NewParallelClient();
        var a = await PutAsync(client, mover.Token, mover.Url("/m/a"), "aaaa");
        var b = await PutAsync(client, mover.Token, mover.Url("/m/b"), "bbbb");
        var before = await DocumentsAsync(server, mover.Name);
        var nodesBefore = await NodesAsync(server, mover.Name);

        // A move's batch whose last write is refused: nothing of it may stay.
        var source = before["/m/a"];
        PendingWrite[] batch =
        [
            new PendingDelete(StoragePath.FromStored("/m/a"), RequestConditions.Expecting(ETag.FromStored(source.ETag))),
            new PendingPut(StoragePath.FromStored("/m/c"), RequestConditions.Expecting(null), source.Type!, 4, source.BlobKey, source.Inline) { MovedFrom = StoragePath.FromStored("/m/a") },
            new PendingDelete(StoragePath.FromStored("/m/b"), RequestConditions.Expecting(ETag.New())),
        ];
        var writing = others.Select(u => PutAsync(client, u.Token, u.Url("/app/new"), "new of " + u.Name)).ToList();
        await using (var scope = server.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DocumentWrites>().CommitAsync(mover.Name, batch, allOrNothing: true);
        }

        Assert.IsType<StorageOutcome.PreconditionFailed>(batch[2].Outcome);
        Assert.All(batch[..2], w => Assert.IsType<StorageOutcome.NotApplied>(w.Outcome));
        Assert.Equal(nodesBefore, await NodesAsync(server, mover.Name));
        Assert.Equal(a.ETag, (await GetAsync(client, mover.Token, mover.Url("/m/a"))).ETag);
        Assert.Equal(b.ETag, (await GetAsync(client, mover.Token, mover.Url("/m/b"))).ETag);

        // A whole folder moves while the others keep writing.
        writing.AddRange(others.Select(u => PutAsync(client, u.Token, u.Url("/app/more"), "more of " + u.Name)));
        var report = await MoveAsync(server, mover.Name, "/m/", "/n/");
        Assert.True(report.Completed, report.Failed?.Reason);
        Assert.Equal("aaaa", (await GetAsync(client, mover.Token, mover.Url("/n/a"))).Text);
        Assert.Equal("bbbb", (await GetAsync(client, mover.Token, mover.Url("/n/b"))).Text);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, mover.Token, mover.Url("/m/a"))).Status);
        await AssertTreeInvariantsAsync(mover.Name);

        Assert.All(await Task.WhenAll(writing), r => Assert.Equal(HttpStatusCode.Created, r.Status));
        foreach (var u in others)
        {
            await AssertTreeInvariantsAsync(u.Name);
        }
    }

    private Writer NewWriter()
    {
        var name = ServerFixture.NewUser();
        return new Writer(name, server.Tokens.Issue(name, "*:rw"));
    }

    /// <summary>One write per user before a test holds the write path: their accounts (and
    /// everything a first request creates) exist. Returns each /app/warm's ETag.</summary>
    private static async Task<Dictionary<Writer, string?>> WarmUpAsync(HttpClient client, IReadOnlyList<Writer> users)
    {
        var tags = await Task.WhenAll(users.Select(u => PutAsync(client, u.Token, u.Url("/app/warm"), "warm")));
        Assert.All(tags, t => Assert.Equal(HttpStatusCode.Created, t.Status));
        return users.Zip(tags).ToDictionary(x => x.First, x => x.Second.ETag);
    }

    /// <summary>
    /// Holds the write path, fills every group slot with a write of a user of its own, queues
    /// <paramref name="write"/> for every user and only then lets go: the queued writes go
    /// together (they fit in <see cref="CommitGroups.MaxWrites"/>). Returns each user's answer and
    /// whether they had all queued.
    /// </summary>
    private async Task<(Dictionary<Writer, PutResult> Outcomes, bool Grouped)> InOneGroupAsync(
        HttpClient client, IReadOnlyList<Writer> users, Func<Writer, Task<PutResult>> write)
    {
        Assert.InRange(users.Count, 2, CommitGroups.MaxWrites);
        var groups = Groups;
        var blockers = Enumerable.Range(0, groups.MaxGroups).Select(_ => NewWriter()).ToList();
        await WarmUpAsync(client, blockers);

        Task<PutResult>[] blocked;
        Task<PutResult>[] queued;
        var grouped = false;
        await using (await HoldAsync(blockers))
        {
            blocked = blockers.Select(u => PutAsync(client, u.Token, u.Url("/app/blocker"), "blocker")).ToArray();
            await WaitUntilAsync(() => groups.Running == groups.MaxGroups);
            queued = users.Select(write).ToArray();
            grouped = await WaitUntilAsync(() => groups.Waiting == users.Count);
        }

        Assert.All(await Task.WhenAll(blocked), r => Assert.Equal(HttpStatusCode.Created, r.Status));
        var results = await Task.WhenAll(queued);
        return (users.Zip(results).ToDictionary(x => x.First, x => x.Second), grouped);
    }

    /// <summary>SQLite: a write transaction on the file (every writer waits). PostgreSQL: the
    /// account rows of <paramref name="blockers"/> (only their writes wait).</summary>
    private async Task<IAsyncDisposable> HoldAsync(IReadOnlyList<Writer> blockers)
    {
        if (server.PostgresConnectionString is { } pg)
        {
            var connection = new NpgsqlConnection(pg);
            await connection.OpenAsync();
            var tx = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand("""SELECT 1 FROM "StorageAccounts" WHERE "UserName" = ANY(@names) FOR UPDATE""", connection, tx);
            command.Parameters.AddWithValue("names", blockers.Select(b => b.Name).ToArray());
            await command.ExecuteNonQueryAsync();
            return new Release(async () =>
            {
                await tx.RollbackAsync();
                await connection.DisposeAsync();
            });
        }

        var sqlite = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "unhostedstore.db")};Pooling=False;Default Timeout=30");
        await sqlite.OpenAsync();
        await using (var begin = sqlite.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        return new Release(async () =>
        {
            await using (var rollback = sqlite.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                await rollback.ExecuteNonQueryAsync();
            }

            await sqlite.DisposeAsync();
        });
    }

    /// <summary>A trigger that makes the database refuse to insert the node <paramref name="path"/>,
    /// as a statement the database rejects for one user's rows.</summary>
    private async Task RefuseInsertsAsync(string name, string path)
    {
        // Both are made here, of a fresh name and a path of letters: nothing to escape.
        string[] statements = server.PostgresConnectionString is not null
            ?
            [
                $"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
                $"CREATE TRIGGER {name} BEFORE INSERT ON \"StorageNodes\" FOR EACH ROW WHEN (NEW.\"Path\" = '{path}') EXECUTE FUNCTION {name}()",
            ]
            : [$"CREATE TRIGGER {name} BEFORE INSERT ON \"StorageNodes\" WHEN NEW.\"Path\" = '{path}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"];
        await ExecuteAsync(statements);
    }

    private Task AllowInsertsAsync(string name) => ExecuteAsync(server.PostgresConnectionString is not null
        ? [$"DROP TRIGGER {name} ON \"StorageNodes\"", $"DROP FUNCTION {name}()"]
        : [$"DROP TRIGGER {name}"]);

    private async Task ExecuteAsync(string[] statements)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        foreach (var sql in statements)
        {
            await db.Database.ExecuteSqlRawAsync(sql);
        }
    }

    private async Task<long> UsedBytesAsync(string user)
    {
        await using var scope = server.CreateScope();
        return (await ServerFixture.Db(scope).Accounts.AsNoTracking().SingleAsync(a => a.UserName == user)).UsedBytes;
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    private sealed record Writer(string Name, string Token)
    {
        public string Url(string path) => $"/storage/{Name}{path}";
    }

    private sealed class Release(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}

public sealed class CrossUserCommitTests_Sqlite(SqliteServerFixture server) : CrossUserCommitTests(server), IClassFixture<SqliteServerFixture>;

public sealed class CrossUserCommitTests_Postgres(PostgresServerFixture server) : CrossUserCommitTests(server), IClassFixture<PostgresServerFixture>;
