using System.Globalization;
using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using Xunit.Abstractions;

namespace UnhostedStore.IntegrationTests.Deploy;

/// <summary>
/// deploy/backup.sh and deploy/restore.sh round-trip a populated store on PostgreSQL + S3: the
/// store is filled through the real server, backed up, restored into a new empty database and a
/// new bucket, and a new server process started on only the restored data serves every document
/// and listing as before.
/// </summary>
public sealed class BackupRestoreTests(PostgresS3ServerFixture server, ITestOutputHelper output) : IClassFixture<PostgresS3ServerFixture>
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";

    private sealed record Document(string Path, byte[] Body, string ContentType);

    [Fact]
    public async Task A_backup_restored_into_a_new_database_and_bucket_serves_every_document_with_the_same_bytes_content_type_and_etag()
    {
        var alice = ServerFixture.NewUser();
        var bob = ServerFixture.NewUser();
        var aliceToken = await server.Tokens.IssueAsync(alice, "*:rw");
        var bobToken = await server.Tokens.IssueAsync(bob, "notes:rw");
        var binary = new byte[300_000];
        Random.Shared.NextBytes(binary);
        var large = new byte[900_007];
        Random.Shared.NextBytes(large);

        // Inline (up to 16 bytes in the test servers) and blob documents, nested folders,
        // binary, an empty document and a public one.
        var documents = new List<(string User, string Token, Document Doc)>
        {
            (alice, aliceToken, new("notes/tiny.txt", "hi"u8.ToArray(), "text/plain; charset=utf-8")),
            (alice, aliceToken, new("notes/empty", [], "application/octet-stream")),
            (alice, aliceToken, new("notes/todo.json", Encoding.UTF8.GetBytes("{\"items\":[\"milk\",\"bread\",\"a longer entry to pass the inline size\"]}"), "application/json")),
            (alice, aliceToken, new("notes/deep/er/still/file.bin", binary, "application/x-custom")),
            (alice, aliceToken, new("photos/large.jpg", large, "image/jpeg")),
            (alice, aliceToken, new("public/notes/shared.html", Encoding.UTF8.GetBytes("<!doctype html><p>shared with everyone</p>"), "text/html")),
            (bob, bobToken, new("notes/other user.txt", Encoding.UTF8.GetBytes("bob's document, more than sixteen bytes"), "text/plain")),
        };

        using var http = server.NewClient();
        foreach (var (user, token, doc) in documents)
        {
            var content = new ByteArrayContent(doc.Body);
            content.Headers.TryAddWithoutValidation("Content-Type", doc.ContentType);
            using var put = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, Url(user, doc.Path)) { Content = content }.WithToken(token));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        string[] folders = ["", "notes/", "notes/deep/", "notes/deep/er/still/", "photos/", "public/notes/"];
        var before = await SnapshotAsync(http, alice, aliceToken, bob, bobToken, documents, folders);

        var work = Path.Combine(Path.GetTempPath(), "us-backup-" + Guid.NewGuid().ToString("N")[..12]);
        var backupFile = Path.Combine(work, "backup.tar.gz");
        var restoredData = Path.Combine(work, "restored-data");
        Directory.CreateDirectory(work);
        try
        {
            var backup = await Shell.RunCheckedAsync("bash", [Script("backup.sh"), backupFile], ScriptEnvironment(server.PostgresConnectionString!, server.S3Bucket, server.DataDirectory));
            output.WriteLine(backup);
            Assert.True(new FileInfo(backupFile).Length > large.Length / 2, "the backup holds the blobs");

            // A new, empty database and a bucket that does not exist yet.
            var restoredDatabase = await TestPostgres.CreateDatabaseAsync();
            var restoredBucket = "us-restored-" + Guid.NewGuid().ToString("N")[..16];
            var restore = await Shell.RunCheckedAsync("bash", [Script("restore.sh"), backupFile], ScriptEnvironment(restoredDatabase, restoredBucket, restoredData));
            output.WriteLine(restore);

            var originalBlobs = (await TestS3.ListKeysAsync(server.S3Bucket)).Where(k => k.StartsWith("blobs/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            Assert.Equal(originalBlobs, (await TestS3.ListKeysAsync(restoredBucket)).Order(StringComparer.Ordinal));
            // Signing and data-protection keys live in the database, so the dump carries them.
            Assert.Equal(await ServerKeysAsync(server.PostgresConnectionString!), await ServerKeysAsync(restoredDatabase));

            // A server on the restored data only: the same tokens work (their rows and keys are
            // restored), and every document and listing is as it was.
            await using var restored = await ServerProcess.StartAsync(ProcessEnvironment(restoredDatabase, restoredBucket, restoredData));
            using var restoredHttp = new HttpClient { BaseAddress = restored.BaseAddress };
            var after = await SnapshotAsync(restoredHttp, alice, aliceToken, bob, bobToken, documents, folders);

            Assert.Equal(before.Count, after.Count);
            foreach (var (key, expected) in before)
            {
                Assert.True(after.TryGetValue(key, out var actual), key + " is served after the restore");
                Assert.Equal(expected.Status, actual.Status);
                Assert.Equal(expected.ContentType, actual.ContentType);
                Assert.Equal(expected.ETag, actual.ETag);
                Assert.True(expected.Body.AsSpan().SequenceEqual(actual.Body), key + ": same bytes");
            }

            // The public document still needs no token.
            using var anonymous = await restoredHttp.GetAsync(Url(alice, "public/notes/shared.html"));
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed record Observed(HttpStatusCode Status, string? ContentType, string? ETag, byte[] Body);

    /// <summary>GET of every document (bytes, Content-Type, ETag) and folder listing of both users.</summary>
    private static async Task<Dictionary<string, Observed>> SnapshotAsync(
        HttpClient http, string alice, string aliceToken, string bob, string bobToken,
        List<(string User, string Token, Document Doc)> documents, string[] folders)
    {
        var result = new Dictionary<string, Observed>(StringComparer.Ordinal);
        var requests = documents.Select(d => (d.User, d.Token, d.Doc.Path))
            .Concat(folders.Select(f => (alice, aliceToken, f)))
            .Append((bob, bobToken, "notes/"));
        foreach (var (user, token, path) in requests)
        {
            using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(user, path)).WithToken(token));
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            result[user + "/" + path] = new Observed(
                response.StatusCode,
                response.Content.Headers.TryGetValues("Content-Type", out var type) ? string.Join(",", type) : null,
                response.Headers.ETag?.Tag,
                body);
        }

        return result;
    }

    private static string Url(string user, string path) =>
        $"/storage/{user}/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string Script(string name) => Path.Combine(Shell.RepositoryRoot(), "deploy", name);

    /// <summary>What the scripts read: the server's own setting names, as an operator would set them.</summary>
    private static Dictionary<string, string> ScriptEnvironment(string connectionString, string bucket, string dataDirectory)
    {
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["PG_DUMP"] = $"{PgBin}/pg_dump",
            ["PG_RESTORE"] = $"{PgBin}/pg_restore",
            ["DATA_DIR"] = dataDirectory,
            ["PYTHON"] = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
        };
        foreach (var (key, value) in TestS3.Settings(bucket))
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return env;
    }

    private static Dictionary<string, string> ProcessEnvironment(string connectionString, string bucket, string dataDirectory)
    {
        var env = new Dictionary<string, string>
        {
            ["DataDirectory"] = dataDirectory,
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Storage__MaxDocumentBytes"] = (16 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["Storage__InlineMaxBytes"] = "16",
            ["Blobs__S3__CreateBucket"] = "false",
            ["RateLimiting__StoragePerIpPerSecond"] = "1000000",
            ["RateLimiting__StoragePerIpBurst"] = "1000000",
            ["RateLimiting__PublicMissesPerMinute"] = "1000000",
        };
        foreach (var (key, value) in TestS3.Settings(bucket))
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return env;
    }

    private static async Task<List<string>> ServerKeysAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT \"Name\" || '=' || \"Value\" FROM \"ServerKeys\" ORDER BY \"Name\"", connection);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        Assert.NotEmpty(keys);
        return keys;
    }
}
