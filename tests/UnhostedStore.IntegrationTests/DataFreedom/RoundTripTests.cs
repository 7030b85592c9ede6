using System.Collections.Concurrent;
using System.Net;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.DataFreedom.ExportHelpers;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>
/// Leaving and coming back: an account exported with <c>users export</c>, erased with
/// <c>users remove --now</c>, created again and filled with <c>users import</c> holds every
/// document again, byte for byte and with the same Content-Type.
/// </summary>
public abstract class RoundTripTests(ServerFixture server)
{
    [Fact]
    public async Task An_account_of_1000_documents_exported_erased_recreated_and_imported_has_every_byte_and_content_type_back()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Accounts.AccountTestHelpers.Password);
        var token = server.Tokens.Issue(user, "*:rw");
        var documents = await PopulateAsync(server, user, token, count: 1000);
        // Eight requests at a time: on S3 each read waits on the blob store, and the checks are
        // per document.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8 };
        var served = new ConcurrentDictionary<string, string?>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(documents.Keys, parallel, async (path, _) =>
        {
            using var response = await SendAsync(server, HttpMethod.Head, user, token, path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served[path] = response.Content.Headers.ContentType?.ToString();
        });

        var file = Path.Combine(server.DataDirectory, user + "-roundtrip.zip");
        var export = await CliRunner.RunAsync(server, null, "users", "export", user, "--output", file);
        Assert.True(export.ExitCode == 0, export.ToString());

        var remove = await CliRunner.RunAsync(server, null, "users", "remove", user, "--now");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        using (var gone = await SendAsync(server, HttpMethod.Get, user, token, documents.Keys.First()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
        }

        await Browser.CreateAccountAsync(server, user, Accounts.AccountTestHelpers.Password);
        var import = await CliRunner.RunAsync(server, null, "users", "import", user, file);
        Assert.True(import.ExitCode == 0, import.ToString());

        var fresh = server.Tokens.Issue(user, "*:rw");
        await Parallel.ForEachAsync(documents, parallel, async (pair, ct) =>
        {
            var (path, document) = pair;
            using var response = await SendAsync(server, HttpMethod.Get, user, fresh, path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(document.Body, await response.Content.ReadAsByteArrayAsync(ct));
            Assert.Equal(served[path], response.Content.Headers.ContentType?.ToString());
        });

        File.Delete(file);
    }
}

public sealed class RoundTripTests_Sqlite(SqliteServerFixture server) : RoundTripTests(server), IClassFixture<SqliteServerFixture>;

public sealed class RoundTripTests_Postgres(PostgresServerFixture server) : RoundTripTests(server), IClassFixture<PostgresServerFixture>;

public sealed class RoundTripTests_PostgresS3(PostgresS3ServerFixture server) : RoundTripTests(server), IClassFixture<PostgresS3ServerFixture>;
