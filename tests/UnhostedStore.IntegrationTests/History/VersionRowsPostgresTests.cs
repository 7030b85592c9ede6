using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>
/// On PostgreSQL, the version a write keeps goes to the database in the same command as the
/// write's other rows (SaveChanges' batch): keeping history costs no round trip of its own.
/// </summary>
public sealed class VersionRowsPostgresTests(PostgresServerFixture server) : IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task An_overwrite_sends_the_version_it_keeps_in_the_same_command_as_its_other_rows()
    {
        var user = ServerFixture.NewUser();
        await using var scope = server.CreateScope();
        var batch = scope.ServiceProvider.GetRequiredService<WriteBatch>();
        var first = DatabaseCommands.Put("/app/a", "one");
        await batch.CommitAsync(user, [first]);
        Assert.IsType<StorageOutcome.Created>(first.Outcome);

        var second = DatabaseCommands.Put("/app/a", "two");
        var commands = await DatabaseCommands.OfAsync(() => batch.CommitAsync(user, [second]));

        Assert.IsType<StorageOutcome.Updated>(second.Outcome);
        var carrying = Assert.Single(commands, c => c.Contains("INSERT INTO \"DocumentVersions\"", StringComparison.Ordinal));
        Assert.Contains("UPDATE \"StorageNodes\"", carrying, StringComparison.Ordinal);

        var db = ServerFixture.Db(scope);
        var version = await db.DocumentVersions.AsNoTracking().SingleAsync(v => v.Owner == user && v.Path == "/app/a");
        Assert.Equal(("one", "text/plain", 3L, false), (Encoding.UTF8.GetString(version.InlineContent!), version.ContentType, version.ContentLength, version.Deleted));
        var node = await db.Nodes.AsNoTracking().SingleAsync(n => n.Owner == user && n.Path == "/app/a");
        Assert.Equal("two", Encoding.UTF8.GetString(node.InlineContent!));
    }

    [Fact]
    public async Task A_group_of_users_sends_all_the_versions_it_keeps_in_one_statement_with_their_rows()
    {
        var users = Enumerable.Range(0, 5).Select(_ => ServerFixture.NewUser()).ToList();
        await using var scope = server.CreateScope();
        var batch = scope.ServiceProvider.GetRequiredService<WriteBatch>();
        await batch.CommitGroupAsync(users.Select(u => new UserBatch(u, [DatabaseCommands.Put("/app/a", "one of " + u)])).ToList());

        var group = users.Select(u => new UserBatch(u, [DatabaseCommands.Put("/app/a", "two of " + u)])).ToList();
        var commands = await DatabaseCommands.OfAsync(() => batch.CommitGroupAsync(group));

        Assert.All(group, b => Assert.IsType<StorageOutcome.Updated>(b.Writes[0].Outcome));
        Assert.Single(commands, c => c.Contains("INSERT INTO \"DocumentVersions\"", StringComparison.Ordinal));
        var db = ServerFixture.Db(scope);
        foreach (var u in users)
        {
            var version = await db.DocumentVersions.AsNoTracking().SingleAsync(v => v.Owner == u && v.Path == "/app/a");
            Assert.Equal("one of " + u, Encoding.UTF8.GetString(version.InlineContent!));
        }
    }
}
