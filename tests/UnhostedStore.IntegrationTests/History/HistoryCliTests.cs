using System.Globalization;
using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage.History;

namespace UnhostedStore.IntegrationTests.History;

/// <summary><c>history list</c>, <c>history restore</c> and <c>history purge</c> as a separate
/// process on the same database and blobs as a running server.</summary>
public abstract class HistoryCliTests(HistoryServerFixture server)
{
    [Fact]
    public async Task History_list_prints_a_documents_versions_and_a_folders_trash()
    {
        var client = await HistoryTestClient.NewAsync(server);
        await client.PutTextAsync("/notes/todo", "one");
        await client.PutAsync("/notes/todo", HistoryTestClient.Bytes(300, 1), "application/octet-stream");
        await client.PutTextAsync("/notes/todo", "three");
        await client.PutTextAsync("/notes/old/gone", "gone soon");
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/notes/old/gone"));
        var rows = await client.VersionRowsAsync();

        var list = await CliRunner.RunAsync(server, null, "history", "list", client.User, "/notes/todo");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = Lines(list.Stdout);
        Assert.Equal(["VERSION", "WRITTEN", "BY", "REPLACED", "BY", "BYTES", "TYPE", "STATE"], Cells(lines[0]));
        Assert.Equal(["current", TestTokens.Origin, "-", "-", "5", "text/plain; charset=utf-8", "current"], Cells(lines[1]).Where((_, i) => i != 1));
        var newest = Cells(lines[2]);
        Assert.Equal(rows[1].Id.ToString(CultureInfo.InvariantCulture), newest[0]);
        Assert.Equal(("300", "application/octet-stream", "replaced"), (newest[5], newest[6], newest[7]));
        Assert.Equal(rows[0].Id.ToString(CultureInfo.InvariantCulture), Cells(lines[3])[0]);
        Assert.Equal(4, lines.Length);

        var trash = await CliRunner.RunAsync(server, null, "history", "list", client.User, "/notes/");
        Assert.True(trash.ExitCode == 0, trash.ToString());
        var trashLines = Lines(trash.Stdout);
        Assert.Equal(["VERSION", "DELETED", "BY", "BYTES", "PATH"], Cells(trashLines[0]));
        var gone = Cells(Assert.Single(trashLines.Skip(1)));
        Assert.Equal((rows[2].Id.ToString(CultureInfo.InvariantCulture), TestTokens.Origin, "9", "/notes/old/gone"), (gone[0], gone[2], gone[3], gone[4]));

        var empty = await CliRunner.RunAsync(server, null, "history", "list", client.User, "/photos/");
        Assert.True(empty.ExitCode == 0, empty.ToString());
        Assert.Equal("No deleted documents under /photos/." + Environment.NewLine, empty.Stdout);

        var missing = await CliRunner.RunAsync(server, null, "history", "list", "nosuchuser", "/notes/todo");
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("There is no user 'nosuchuser'.", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_restore_brings_back_a_version_and_puts_a_folder_back_as_it_was_and_says_what_changed()
    {
        var client = await HistoryTestClient.NewAsync(server);
        var photo = HistoryTestClient.Bytes(2_000, 7);
        await client.PutAsync("/notes/cli/photo", photo, "image/jpeg");
        await client.PutTextAsync("/notes/cli/text", "the text then");
        await client.PutTextAsync("/notes/cli/same", "untouched");
        await Task.Delay(50);
        var asOf = DateTime.UtcNow;
        await Task.Delay(50);
        await client.PutTextAsync("/notes/cli/photo", "overwritten");
        Assert.Equal(HttpStatusCode.OK, await client.DeleteAsync("/notes/cli/text"));
        await client.PutTextAsync("/notes/cli/new", "created since");

        var one = await CliRunner.RunAsync(server, null, "history", "restore", client.User, "/notes/cli/photo", "--version", (await client.VersionRowsAsync())[0].Id.ToString(CultureInfo.InvariantCulture));
        Assert.True(one.ExitCode == 0, one.ToString());
        var served = await client.GetAsync("/notes/cli/photo");
        Assert.Equal(photo, served.Body);
        Assert.Equal("image/jpeg", served.ContentType);
        Assert.Equal($"restored /notes/cli/photo to version {(await client.VersionRowsAsync())[0].Id}, now {served.ETag}", Lines(one.Stdout).Single());
        Assert.Equal(HistoryLabels.CommandLine, (await client.VersionRowsAsync()).Last().ReplacedBy);

        // Undo that with the newest retained version (no option), then the folder as of then.
        var undo = await CliRunner.RunAsync(server, null, "history", "restore", client.User, "/notes/cli/photo");
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal("overwritten", Encoding.UTF8.GetString((await client.GetAsync("/notes/cli/photo")).Body));

        var folder = await CliRunner.RunAsync(server, null, "history", "restore", client.User, "/notes/cli/", "--as-of", asOf.ToString("O", CultureInfo.InvariantCulture));
        Assert.True(folder.ExitCode == 0, folder.ToString());
        var lines = Lines(folder.Stdout);
        Assert.Contains("deleted /notes/cli/new", lines);
        Assert.Contains(lines, l => l.StartsWith("restored /notes/cli/photo (11 -> 2000 bytes)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("restored /notes/cli/text (- -> 13 bytes)", StringComparison.Ordinal));
        Assert.EndsWith(": restored 2, deleted 1, unchanged 1, failed 0", lines[^1], StringComparison.Ordinal);
        Assert.StartsWith("/notes/cli/ as of ", lines[^1], StringComparison.Ordinal);
        Assert.Contains("history restore: restoring", folder.Stderr, StringComparison.Ordinal);
        Assert.Equal(photo, (await client.GetAsync("/notes/cli/photo")).Body);
        Assert.Equal("the text then", Encoding.UTF8.GetString((await client.GetAsync("/notes/cli/text")).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/notes/cli/new")).Status);

        var noTime = await CliRunner.RunAsync(server, null, "history", "restore", client.User, "/notes/cli/");
        Assert.True(noTime.ExitCode == 1, noTime.ToString());
        Assert.Contains("give --as-of", noTime.Stderr, StringComparison.Ordinal);
        var badTime = await CliRunner.RunAsync(server, null, "history", "restore", client.User, "/notes/cli/", "--as-of", "yesterday-ish");
        Assert.True(badTime.ExitCode == 1, badTime.ToString());
        Assert.Contains("ISO-8601", badTime.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_purge_deletes_older_versions_or_all_of_them_for_good()
    {
        var client = await HistoryTestClient.NewAsync(server);
        for (var i = 0; i < 3; i++)
        {
            await client.PutAsync("/notes/purge/a", HistoryTestClient.Bytes(100 + i, i), "text/plain");
        }

        var keys = (await client.VersionRowsAsync()).Select(v => v.BlobKey!).ToList();
        Assert.Equal(2, keys.Count);

        var older = await CliRunner.RunAsync(server, null, "history", "purge", client.User, "--older-than", "1");
        Assert.True(older.ExitCode == 0, older.ToString());
        Assert.Equal($"Deleted 0 version(s), 0 byte(s) of {client.User}'s history for good." + Environment.NewLine, older.Stdout);
        Assert.Equal(2, (await client.VersionRowsAsync()).Count);

        var all = await CliRunner.RunAsync(server, null, "history", "purge", client.User);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal($"Deleted 2 version(s), 201 byte(s) of {client.User}'s history for good." + Environment.NewLine, all.Stdout);
        Assert.Empty(await client.VersionRowsAsync());
        Assert.Equal(0L, (await client.AccountAsync()).HistoryBytes);
        var stored = await server.StoredBlobKeysAsync();
        Assert.All(keys, k => Assert.DoesNotContain(k, stored));
        Assert.Equal(HistoryTestClient.Bytes(102, 2), (await client.GetAsync("/notes/purge/a")).Body);

        var bad = await CliRunner.RunAsync(server, null, "history", "purge", client.User, "--older-than", "a week");
        Assert.True(bad.ExitCode == 1, bad.ToString());
        Assert.Contains("--older-than takes a whole number of days.", bad.Stderr, StringComparison.Ordinal);
    }

    private static string[] Lines(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The cells of a table line: columns are at least two spaces apart.</summary>
    private static string[] Cells(string line) => line.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch, and each run of them costs a server and
// real processes; the storage contract classes cover all three combinations.
public sealed class HistoryCliTests_Sqlite(HistorySqliteFixture server) : HistoryCliTests(server), IClassFixture<HistorySqliteFixture>;

public sealed class HistoryCliTests_PostgresS3(HistoryPostgresS3Fixture server) : HistoryCliTests(server), IClassFixture<HistoryPostgresS3Fixture>;
