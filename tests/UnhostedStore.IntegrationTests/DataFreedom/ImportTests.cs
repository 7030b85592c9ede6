using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UnhostedStore.DataFreedom;
using UnhostedStore.DataFreedom.Import;
using UnhostedStore.IntegrationTests.E2E;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>Import of our export format and of rs-backup backups, through the ordinary write path.</summary>
public abstract class ImportTests(ServerFixture server)
{
    private static readonly DateTime Then = new(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc);

    public static string RsBackupFixture => Path.Combine(E2EEnvironment.RepositoryRoot, "tests", "UnhostedStore.IntegrationTests", "DataFreedom", "Fixtures", "rs-backup");

    private async Task<ImportReport> ImportAsync(string user, byte[] zip, ImportMode mode = ImportMode.Skip)
    {
        var file = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N") + ".zip");
        await File.WriteAllBytesAsync(file, zip);
        try
        {
            return await ImportPathAsync(user, file, mode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<ImportReport> ImportPathAsync(string user, string path, ImportMode mode = ImportMode.Skip)
    {
        await using var scope = server.CreateScope();
        using var source = ArchiveSource.Open(path, scope.ServiceProvider.GetRequiredService<IOptions<ImportOptions>>().Value);
        return await scope.ServiceProvider.GetRequiredService<Importer>().RunAsync(user, source, mode, null, CancellationToken.None);
    }

    private async Task<(byte[] Body, string? Type, HttpStatusCode Status)> GetAsync(string user, string token, string path)
    {
        var encoded = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{encoded}").WithToken(token));
        return (await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.TryGetValues("Content-Type", out var t) ? t.Single() : null, response.StatusCode);
    }

    /// <summary>What must not change when an archive is refused: the user's usage, the root
    /// folder's version, every row of every user, and every blob.</summary>
    private async Task<string> SnapshotAsync(string user, string token)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var account = await db.Accounts.AsNoTracking().Where(a => a.UserName == user).Select(a => new { a.UsedBytes, a.DocumentCount }).FirstOrDefaultAsync();
        var rows = await db.Nodes.AsNoTracking().CountAsync();
        using var root = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/").WithToken(token));
        var listing = await root.Content.ReadAsStringAsync();
        var blobs = string.Join(",", (await server.StoredBlobKeysAsync()).Order(StringComparer.Ordinal));
        return $"{account?.UsedBytes}/{account?.DocumentCount}/{rows}/{root.Headers.ETag}/{listing}/{blobs}";
    }

    private async Task<(string User, string Token)> UserWithOneDocumentAsync()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        await ImportAsync(user, TestArchive.Export([TestArchive.Text("notes/existing.txt", "already here")]));
        return (user, token);
    }

    private async Task AssertRefusedAsync(byte[] zip, string expected)
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var before = await SnapshotAsync(user, token);
        var e = await Assert.ThrowsAsync<ArchiveRefusedException>(() => ImportAsync(user, zip));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(user, token));
    }

    private static byte[] ValidWith(Action<ZipArchive> extra) => TestArchive.Export([TestArchive.Text("notes/ok.txt", "fine")], extra: extra);

    [Fact]
    public async Task A_thousand_documents_of_our_export_come_back_byte_for_byte_with_their_content_types()
    {
        var random = new Random(7);
        var docs = new List<TestDoc>();
        for (var i = 0; i < 1000; i++)
        {
            var bytes = new byte[random.Next(0, 40_000)];
            random.NextBytes(bytes);
            docs.Add((i % 10) switch
            {
                0 => TestArchive.Text($"notes/with space {i}.txt", "text " + i),
                1 => TestArchive.Text($"notes/100% sure {i}.txt", "percent " + i),
                2 => TestArchive.Text($"notes/Grüße 日本 {i}.md", "nön-ASCII " + i, "text/markdown; charset=UTF-8"),
                3 => TestArchive.Text($"public/photos/shared {i}.json", "{\"n\":" + i + "}", "application/json"),
                4 => TestArchive.Text($"notes/~us~tilde {i}", "marker " + i),
                5 => TestArchive.Text($"notes/back\\slash {i}", "backslash " + i),
                6 => TestArchive.Text($"notes/000_folder-description.json/{i}", "a folder named like a description"),
                7 => TestArchive.Text($"unhostedstore-export.json/{i}", "a root folder named like the manifest"),
                _ => new TestDoc($"bin/deep/data {i}.bin", bytes, "application/octet-stream", Then),
            });
        }

        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var report = await ImportAsync(user, TestArchive.Export(docs));

        Assert.Empty(report.Refused);
        Assert.Equal(1000, report.Imported);

        // Eight reads at a time: on S3 each waits on the blob store.
        await Parallel.ForEachAsync(docs, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (doc, _) =>
        {
            var (body, type, status) = await GetAsync(user, token, doc.Path);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(doc.ContentType, type);
            Assert.Equal(doc.Bytes, body);
        });
    }

    [Fact]
    public async Task An_rs_backup_directory_imports_with_its_public_folder()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var report = await ImportPathAsync(user, RsBackupFixture);
        await AssertRsBackupImportedAsync(user, token, report);
    }

    [Fact]
    public async Task An_rs_backup_directory_imports_as_a_zip_too()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var zip = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N") + ".zip");
        ZipFile.CreateFromDirectory(RsBackupFixture, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        var report = await ImportPathAsync(user, zip);
        await AssertRsBackupImportedAsync(user, token, report);
    }

    private async Task AssertRsBackupImportedAsync(string user, string token, ImportReport report)
    {
        Assert.Empty(report.Refused);
        Assert.Equal(4, report.Imported);
        var note = await GetAsync(user, token, "notes/a note.txt");
        Assert.Equal(("Hello from rs-backup\n", "text/plain; charset=UTF-8"), (Encoding.UTF8.GetString(note.Body), note.Type));
        var journal = await GetAsync(user, token, "notes/2023/journal.md");
        Assert.Equal("# Tag 1\nÜberall Schnee.\n", Encoding.UTF8.GetString(journal.Body));
        using var shared = await server.NewClient().GetAsync($"/storage/{user}/public/notes/shared.txt");
        Assert.Equal("shared with everyone\n", await shared.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_backup_of_one_category_without_a_root_description_imports_that_module()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var dir = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N"));
        CopyDirectory(Path.Combine(RsBackupFixture, "notes"), Path.Combine(dir, "notes"));
        var report = await ImportPathAsync(user, dir);
        Assert.Equal(3, report.Imported);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(user, token, "notes/todo.json")).Status);
    }

    [Fact]
    public async Task Skip_mode_keeps_documents_that_exist()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var report = await ImportAsync(user, TestArchive.Export([TestArchive.Text("notes/existing.txt", "from the archive"), TestArchive.Text("notes/new.txt", "new")]));
        Assert.Equal((1, 1), (report.Imported, report.Skipped));
        Assert.Equal("already here", Encoding.UTF8.GetString((await GetAsync(user, token, "notes/existing.txt")).Body));
    }

    [Fact]
    public async Task Overwrite_mode_replaces_documents_that_exist()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var report = await ImportAsync(user, TestArchive.Export([TestArchive.Text("notes/existing.txt", "from the archive")]), ImportMode.Overwrite);
        Assert.Equal((1, 0), (report.Imported, report.Skipped));
        Assert.Equal("from the archive", Encoding.UTF8.GetString((await GetAsync(user, token, "notes/existing.txt")).Body));
    }

    [Fact]
    public async Task Newer_mode_keeps_whichever_was_modified_last()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var older = TestArchive.Text("notes/existing.txt", "older") with { LastModifiedUtc = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        var report = await ImportAsync(user, TestArchive.Export([older]), ImportMode.Newer);
        Assert.Equal((0, 1), (report.Imported, report.Skipped));
        Assert.Equal("already here", Encoding.UTF8.GetString((await GetAsync(user, token, "notes/existing.txt")).Body));

        var newer = TestArchive.Text("notes/existing.txt", "newer") with { LastModifiedUtc = DateTime.UtcNow.AddDays(1) };
        report = await ImportAsync(user, TestArchive.Export([newer]), ImportMode.Newer);
        Assert.Equal((1, 0), (report.Imported, report.Skipped));
        Assert.Equal("newer", Encoding.UTF8.GetString((await GetAsync(user, token, "notes/existing.txt")).Body));
    }

    [Fact]
    public Task An_entry_with_dot_dot_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "notes/../../evil.txt", [1])), "'..'");

    [Fact]
    public Task An_absolute_entry_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "/etc/evil.txt", [1])), "absolute path");

    [Fact]
    public Task An_entry_with_a_drive_letter_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "C:/evil.txt", [1])), "drive letter");

    [Fact]
    public Task An_entry_with_backslashes_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "notes\\..\\evil.txt", [1])), "backslash");

    [Fact]
    public Task A_symlink_entry_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "notes/link", Encoding.UTF8.GetBytes("/etc/passwd"), unixMode: 0xA1FF)), "symbolic link");

    [Fact]
    public Task A_duplicate_entry_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "notes/ok.txt", [1, 2])), "twice");

    [Fact]
    public Task A_zip_bomb_entry_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "notes/zeros", new byte[20 * 1024 * 1024], level: CompressionLevel.SmallestSize)), "times its packed size");

    [Fact]
    public Task Invalid_json_in_a_description_is_refused_and_nothing_is_stored() =>
        AssertRefusedAsync(ValidWith(z => TestArchive.Add(z, "other/000_folder-description.json", "{\"items\": {"u8.ToArray())), "not valid JSON");

    [Fact]
    public async Task A_symlinked_file_in_a_directory_is_refused_and_nothing_is_stored()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var dir = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N"));
        CopyDirectory(RsBackupFixture, dir);
        File.CreateSymbolicLink(Path.Combine(dir, "notes", "leak.txt"), "/etc/hostname");
        var before = await SnapshotAsync(user, token);
        var e = await Assert.ThrowsAsync<ArchiveRefusedException>(() => ImportPathAsync(user, dir));
        Assert.Contains("symbolic link", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(user, token));
    }

    [Fact]
    public async Task A_listed_document_without_a_file_is_refused_and_an_unlisted_file_is_ignored()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var zip = TestArchive.Export([TestArchive.Text("notes/ok.txt", "fine"), TestArchive.Text("notes/gone.txt", "x")], manifest: false);
        using (var stream = new MemoryStream())
        {
            stream.Write(zip);
            using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
            {
                archive.GetEntry("notes/gone.txt")!.Delete();
                TestArchive.Add(archive, "notes/stray.txt", [1, 2, 3]);
            }

            zip = stream.ToArray();
        }

        var report = await ImportAsync(user, zip);
        Assert.Equal(1, report.Imported);
        Assert.Equal("notes/gone.txt", Assert.Single(report.Refused).Path);
        Assert.Equal(["notes/stray.txt"], report.Unlisted);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(user, token, "notes/gone.txt")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(user, token, "notes/stray.txt")).Status);
    }

    [Fact]
    public async Task A_document_whose_checksum_does_not_match_the_manifest_is_refused()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        var zip = TestArchive.Export([TestArchive.Text("notes/bad.txt", "tampered"), TestArchive.Text("notes/good.txt", "fine")], sha: d => d.Path == "notes/bad.txt" ? new string('0', 64) : null!);
        var report = await ImportAsync(user, zip);
        Assert.Equal(("notes/bad.txt", 1), (Assert.Single(report.Refused).Path, report.Imported));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(user, token, "notes/bad.txt")).Status);
    }

    [Fact]
    public async Task An_archive_larger_than_the_remaining_quota_is_refused_before_any_write()
    {
        var (user, token) = await UserWithOneDocumentAsync();
        await using (var scope = server.CreateScope())
        {
            await ServerFixture.Db(scope).Accounts.Where(a => a.UserName == user).ExecuteUpdateAsync(s => s.SetProperty(a => a.QuotaBytes, 10_000L));
        }

        var docs = Enumerable.Range(0, 3).Select(i => new TestDoc($"big/{i}.bin", new byte[4_000], "application/octet-stream", Then));
        var before = await SnapshotAsync(user, token);
        var e = await Assert.ThrowsAsync<ArchiveRefusedException>(() => ImportAsync(user, TestArchive.Export(docs)));
        Assert.Contains("need 12000 bytes, but only 9988 of your 10000-byte quota are free", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(user, token));
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch, and each run of them costs a server and
// real processes; the storage contract classes cover all three combinations.
public sealed class ImportTests_Sqlite(SqliteServerFixture server) : ImportTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ImportTests_PostgresS3(PostgresS3ServerFixture server) : ImportTests(server), IClassFixture<PostgresS3ServerFixture>;
