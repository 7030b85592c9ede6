using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.History;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.Moving;
using static UnhostedStore.IntegrationTests.Files.MoveTestHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// A move never overwrites and is all or nothing per transaction: a destination in the way, a
/// request that can't be done, or a source changed meanwhile stops it with a report, and what was
/// not moved is exactly as it was.
/// </summary>
public abstract class MoveRefusalTests(ServerFixture server)
{
    [Fact]
    public async Task A_destination_that_exists_is_refused_and_nothing_changes()
    {
        var client = await HistoryTestClient.NewAsync(server);
        foreach (var path in new[] { "/notes/src/a", "/notes/src/b", "/notes/taken/x", "/notes/doc", "/notes/one" })
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync(path, HistoryTestClient.Bytes(100, path.Length), "text/plain")).Status);
        }

        var before = await NodesAsync(server, client.User);
        (string From, string To, string Says)[] cases =
        [
            ("/notes/one", "/notes/doc", "There is already a document /notes/doc"),
            ("/notes/src/", "/notes/taken/", "There is already a folder /notes/taken/"),
            ("/notes/src/", "/notes/doc/", "There is a document named /notes/doc"),
            ("/notes/one", "/notes/taken", "There is a folder named /notes/taken/"),
            ("/notes/one", "/notes/doc/one", "/notes/doc is a document"),
            ("/notes/src/", "/notes/doc/deeper/src/", "/notes/doc is a document"),
        ];
        foreach (var (from, to, says) in cases)
        {
            var report = await MoveAsync(server, client.User, from, to);
            Assert.False(report.Completed, $"{from} → {to}");
            Assert.Equal((0, MoveProblem.Conflict), (report.Moved, report.Failed!.Problem));
            Assert.Contains(says, report.Failed.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(before, await NodesAsync(server, client.User));
        Assert.Empty(await client.VersionRowsAsync());
    }

    [Fact]
    public async Task A_destination_written_after_the_move_started_rolls_back_its_whole_transaction()
    {
        var client = await HistoryTestClient.NewAsync(server);
        foreach (var name in new[] { "a", "b", "c" })
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/notes/src/" + name, HistoryTestClient.Bytes(1_000, name[0]), "text/plain")).Status);
        }

        var before = await NodesAsync(server, client.User);
        var progress = new InlineProgress<MoveProgress>(p =>
        {
            if (p.Done == 0)
            {
                var (status, _) = Task.Run(() => client.PutTextAsync("/notes/dst/b", "written meanwhile")).GetAwaiter().GetResult();
                Assert.Equal(HttpStatusCode.Created, status);
            }
        });

        var report = await MoveAsync(server, client.User, "/notes/src/", "/notes/dst/", progress);

        Assert.False(report.Completed);
        Assert.Equal((0, 3), (report.Moved, report.Total));
        Assert.Equal(("/notes/src/b", "/notes/dst/b", MoveProblem.Conflict), (report.Failed!.Source.Value, report.Failed.Destination.Value, report.Failed.Problem));
        Assert.Contains("There is already a document /notes/dst/b", report.Failed.Reason, StringComparison.Ordinal);

        // "a" came before "b" in the same transaction: it did not move either.
        var after = await NodesAsync(server, client.User);
        foreach (var path in new[] { "/notes/src/", "/notes/src/a", "/notes/src/b", "/notes/src/c" })
        {
            Assert.Equal(before[path], after[path]);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/dst/a")).Status);
        Assert.Equal(["b"], (await client.ListAsync("/notes/dst/")).Items.Keys);
        Assert.Equal("written meanwhile", Encoding.UTF8.GetString((await client.GetAsync("/notes/dst/b")).Body));
        Assert.Empty(await client.VersionRowsAsync());
        var account = await client.AccountAsync();
        Assert.Equal((3_000L + 17, 4L), (account.UsedBytes, account.DocumentCount));
    }

    [Fact]
    public async Task Moving_into_itself_the_root_public_onto_the_other_kind_or_nothing_is_refused_and_nothing_changes()
    {
        var client = await HistoryTestClient.NewAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/a/b/c", "c")).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.PutTextAsync("/public/a/d", "d")).Status);
        var before = await NodesAsync(server, client.User);
        (string From, string To, MoveProblem Problem, string Says)[] cases =
        [
            ("/a/", "/a/b/a/", MoveProblem.Invalid, "can't be moved into itself"),
            ("/a/", "/a/", MoveProblem.Invalid, "is already there"),
            ("/a/b/c", "/a/b/c", MoveProblem.Invalid, "is already there"),
            ("/", "/x/", MoveProblem.Invalid, "whole storage"),
            ("/public/", "/open/", MoveProblem.Invalid, "public folder itself"),
            ("/a/", "/public/", MoveProblem.Invalid, "can't be a new name"),
            ("/a/b/c", "/", MoveProblem.Invalid, "can't be a new name"),
            ("/a/", "/x", MoveProblem.Invalid, "must end with /"),
            ("/a/b/c", "/x/", MoveProblem.Invalid, "must not end with /"),
            ("/nothing/", "/x/", MoveProblem.NotFound, "There is nothing at /nothing/"),
            ("/a/b/none", "/x", MoveProblem.NotFound, "There is nothing at /a/b/none"),
        ];
        foreach (var (from, to, problem, says) in cases)
        {
            var report = await MoveAsync(server, client.User, from, to);
            Assert.Equal((false, 0, problem), (report.Completed, report.Moved, report.Failed?.Problem));
            Assert.Contains(says, report.Failed!.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(before, await NodesAsync(server, client.User));

        // A folder may move next to itself, deeper or higher, and a module folder may be renamed.
        Assert.True((await MoveAsync(server, client.User, "/a/b/", "/a/bb/")).Completed);
        Assert.True((await MoveAsync(server, client.User, "/a/", "/songs/")).Completed);
        Assert.True((await MoveAsync(server, client.User, "/public/a/", "/public/b/")).Completed);
        Assert.Equal("c", Encoding.UTF8.GetString((await client.GetAsync("/songs/bb/c")).Body));
        Assert.Equal("d", Encoding.UTF8.GetString((await client.GetAsync("/public/b/d")).Body));
    }

    [Fact]
    public async Task A_change_during_a_move_rolls_back_that_transaction_and_the_report_says_how_far_it_got()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var documents = Enumerable.Range(0, 510).ToDictionary(i => $"/box/src/t{i:D3}", i => (Encoding.UTF8.GetBytes($"n{i}"), "text/plain"), StringComparer.Ordinal);
        await PutAllAsync(client, documents);
        var before = await NodesAsync(server, client.User);
        var progress = new InlineProgress<MoveProgress>(p =>
        {
            if (p.Done == Moves.BatchSize)
            {
                var (status, _) = Task.Run(() => client.PutTextAsync("/box/src/t505", "changed")).GetAwaiter().GetResult();
                Assert.Equal(HttpStatusCode.OK, status);
            }
        });

        var report = await MoveAsync(server, client.User, "/box/src/", "/box/dst/", progress);

        Assert.False(report.Completed);
        Assert.Equal((500, 510), (report.Moved, report.Total));
        Assert.Equal(("/box/src/t505", "/box/dst/t505", MoveProblem.Conflict), (report.Failed!.Source.Value, report.Failed.Destination.Value, report.Failed.Problem));
        Assert.Contains("changed while it was being moved", report.Failed.Reason, StringComparison.Ordinal);

        var after = await NodesAsync(server, client.User);
        for (var i = 0; i < 510; i++)
        {
            var (src, dst) = ($"/box/src/t{i:D3}", $"/box/dst/t{i:D3}");
            if (i < 500)
            {
                Assert.False(after.ContainsKey(src), src);
                Assert.Equal($"n{i}", Encoding.UTF8.GetString((await client.GetAsync(dst)).Body));
            }
            else
            {
                Assert.False(after.ContainsKey(dst), dst);
                if (i != 505)
                {
                    Assert.Equal(before[src], after[src]);
                }
            }
        }

        Assert.Equal("changed", Encoding.UTF8.GetString((await client.GetAsync("/box/src/t505")).Body));
        Assert.Equal(10, (await client.ListAsync("/box/src/")).Items.Count);
        Assert.Equal(500, (await client.ListAsync("/box/dst/")).Items.Count);
        Assert.Equal(510L, (await client.AccountAsync()).DocumentCount);
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class MoveRefusalTests_Sqlite(SqliteServerFixture server) : MoveRefusalTests(server), IClassFixture<SqliteServerFixture>;

public sealed class MoveRefusalTests_PostgresS3(PostgresS3ServerFixture server) : MoveRefusalTests(server), IClassFixture<PostgresS3ServerFixture>;
