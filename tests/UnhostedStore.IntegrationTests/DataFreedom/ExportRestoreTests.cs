using System.IO.Compression;
using System.Net;
using System.Text.Json;
using UnhostedStore.DataFreedom;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.DataFreedom.ExportHelpers;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary><c>users export</c> writes the zip a restore in rs-backup's manner brings back
/// exactly: walk each folder's <c>items</c> from the root description and PUT every document
/// with its listed Content-Type.</summary>
public abstract class ExportRestoreTests(ServerFixture server)
{
    [Fact]
    public async Task A_zip_from_users_export_restored_by_rs_backups_rules_into_a_fresh_user_gives_back_every_document_byte_for_byte()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Accounts.AccountTestHelpers.Password);
        var token = server.Tokens.Issue(user, "*:rw");
        var documents = await PopulateAsync(server, user, token, count: 300);
        var file = Path.Combine(server.DataDirectory, user + ".zip");

        var result = await CliRunner.RunAsync(server, null, "users", "export", user, "--output", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"users export: {documents.Count} of {documents.Count} documents", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Exported {documents.Count} document(s)", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".partial"));

        var fresh = ServerFixture.NewUser();
        var freshToken = server.Tokens.Issue(fresh, "*:rw");
        using (var zip = ZipFile.OpenRead(file))
        {
            var restored = await RestoreAsync(zip, string.Empty, "/", fresh, freshToken);
            Assert.Equal(documents.Count, restored);
        }

        foreach (var path in documents.Keys)
        {
            using var original = await SendAsync(server, HttpMethod.Get, user, token, path);
            using var copy = await SendAsync(server, HttpMethod.Get, fresh, freshToken, path);
            Assert.Equal(HttpStatusCode.OK, copy.StatusCode);
            Assert.Equal(await original.Content.ReadAsByteArrayAsync(), await copy.Content.ReadAsByteArrayAsync());
            Assert.Equal(original.Content.Headers.ContentType?.ToString(), copy.Content.Headers.ContentType?.ToString());
        }
    }

    [Fact]
    public async Task Users_export_refuses_an_unknown_user_with_1_and_a_bad_module_or_missing_output_with_2()
    {
        var file = Path.Combine(server.DataDirectory, "nobody.zip");
        var unknown = await CliRunner.RunAsync(server, null, "users", "export", "nobody-" + ServerFixture.NewUser(), "--output", file);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("There is no user", unknown.Stderr, StringComparison.Ordinal);

        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Accounts.AccountTestHelpers.Password);
        var badModule = await CliRunner.RunAsync(server, null, "users", "export", user, "--output", file, "--module", "a/b");
        Assert.True(badModule.ExitCode == 2, badModule.ToString());
        var noOutput = await CliRunner.RunAsync(server, null, "users", "export", user);
        Assert.True(noOutput.ExitCode == 2, noOutput.ToString());
        var emptyModule = await CliRunner.RunAsync(server, null, "users", "export", user, "--output", file, "--module", "notes");
        Assert.True(emptyModule.ExitCode == 1, emptyModule.ToString());
        Assert.False(File.Exists(file));
    }

    /// <summary>rs-backup's restore: the folder's description lists its items; a name ending in
    /// <c>/</c> is a folder to walk, any other a document to PUT with its Content-Type.</summary>
    private async Task<int> RestoreAsync(ZipArchive zip, string prefix, string folder, string user, string token)
    {
        using var description = JsonDocument.Parse(Read(zip.GetEntry(prefix + ArchiveNames.FolderDescription)!));
        var count = 0;
        foreach (var item in description.RootElement.GetProperty("items").EnumerateObject())
        {
            if (item.Name.EndsWith('/'))
            {
                var name = item.Name.TrimEnd('/');
                count += await RestoreAsync(zip, prefix + ArchiveNames.Escape(name, folder == "/") + "/", folder + item.Name, user, token);
                continue;
            }

            var entry = zip.GetEntry(prefix + ArchiveNames.Escape(item.Name, folder == "/"))!;
            var document = new StoredDocument(Read(entry), item.Value.GetProperty("Content-Type").GetString()!);
            Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, folder + item.Name, document));
            count++;
        }

        return count;
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class ExportRestoreTests_Sqlite(SqliteServerFixture server) : ExportRestoreTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ExportRestoreTests_PostgresS3(PostgresS3ServerFixture server) : ExportRestoreTests(server), IClassFixture<PostgresS3ServerFixture>;
