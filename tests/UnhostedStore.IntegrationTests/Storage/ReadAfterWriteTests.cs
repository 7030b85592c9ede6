using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// No stale reads while many requests read at once: a GET sent after a write was answered 2xx
/// sees that write (its document, its conditional GET, its folder listing), on another
/// connection, and on the two-instance fixture on the other server process, while other readers
/// keep the read path busy (so that, on PostgreSQL, reads share database round trips).
/// </summary>
public abstract class ReadAfterWriteTests(ServerFixture server) : ConcurrencyTestBase
{
    private const int Writers = 48;
    private const int Rounds = 8;

    protected override ServerFixture Server => server;

    [Fact]
    public async Task Every_read_sent_after_a_2xx_write_sees_that_write_while_many_others_read_at_once()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var root = $"/storage/{user}";
        using var client = NewParallelClient();

        // Readers beside the writers: a public document read without a token, a private one and
        // a folder, each checked against what was written.
        var publicDoc = await PutAsync(client, token, root + "/public/rw/shared", "public body");
        var privateDoc = await PutAsync(client, token, root + "/rw/shared", "private body");
        Assert.Equal(HttpStatusCode.Created, publicDoc.Status);
        Assert.Equal(HttpStatusCode.Created, privateDoc.Status);
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested)
            {
                var read = (i % 3) switch
                {
                    0 => await ReadAsync(client, null, root + "/public/rw/shared"),
                    1 => await GetAsync(client, token, root + "/rw/shared"),
                    _ => await GetAsync(client, token, root + "/public/"),
                };
                Assert.Equal(HttpStatusCode.OK, read.Status);
                if (i % 3 == 0)
                {
                    Assert.Equal((publicDoc.ETag, publicDoc.Body), (read.ETag, read.Text));
                }
                else if (i % 3 == 1)
                {
                    Assert.Equal((privateDoc.ETag, privateDoc.Body), (read.ETag, read.Text));
                }

                reads++;
            }

            return reads;
        })).ToList();

        // Writers: each its own document, eight to a folder; after each 2xx, reads through a
        // client of its own must show exactly that version.
        var writers = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            using var other = NewParallelClient();
            var folder = $"{root}/rw/f{i % 6}/";
            var url = $"{folder}d{i}";
            string? previous = null;
            for (var round = 0; round < Rounds; round++)
            {
                var body = $"writer {i} round {round}";
                var put = await PutAsync(client, token, url, body);
                Assert.True(put.Status is HttpStatusCode.OK or HttpStatusCode.Created, $"PUT {url} answered {(int)put.Status}");
                Assert.NotNull(put.ETag);

                var get = await GetAsync(other, token, url);
                Assert.Equal((HttpStatusCode.OK, put.ETag, body), (get.Status, get.ETag, get.Text));

                if (previous is not null)
                {
                    // A client that holds the version before must not be told it is current.
                    var conditional = await ReadAsync(other, token, url, ifNoneMatch: previous);
                    Assert.Equal((HttpStatusCode.OK, put.ETag), (conditional.Status, conditional.ETag));
                }

                var listing = await ListAsync(other, token, folder);
                Assert.Equal(HttpStatusCode.OK, listing.Status);
                Assert.Equal(put.ETag!.Trim('"'), listing.Items[$"d{i}"].GetProperty("ETag").GetString());
                previous = put.ETag;
            }
        })).ToList();

        try
        {
            await Task.WhenAll(writers);
        }
        finally
        {
            await stop.CancelAsync();
        }

        var readCounts = await Task.WhenAll(readers);
        Assert.All(readCounts, n => Assert.True(n > 0, "a reader never completed a read"));
    }

    /// <summary>A GET with a token or none, and with If-None-Match or none.</summary>
    private static async Task<GetResult> ReadAsync(HttpClient client, string? token, string url, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null)
        {
            request.WithToken(token);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new GetResult(response.StatusCode, response.Headers.ETag?.Tag, response.Content.Headers.ContentLength, Encoding.UTF8.GetString(bytes));
    }
}

public sealed class ReadAfterWriteTests_Sqlite(SqliteServerFixture server) : ReadAfterWriteTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ReadAfterWriteTests_Postgres(PostgresServerFixture server) : ReadAfterWriteTests(server), IClassFixture<PostgresServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class ReadAfterWriteTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : ReadAfterWriteTests(server);
