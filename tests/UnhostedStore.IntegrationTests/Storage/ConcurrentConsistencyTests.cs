using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Many simultaneous writes and reads over one user's tree: the listings, versions, child
/// counts, usage counters and blobs stay consistent, and a read always sees a whole committed
/// version.
/// </summary>
public abstract class ConcurrentConsistencyTests(ServerFixture server) : ConcurrencyTestBase
{
    protected override ServerFixture Server => server;

    [Fact]
    public async Task Two_hundred_parallel_puts_and_deletes_over_one_tree_leave_consistent_listings()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var root = $"/storage/{user}";

        // Three levels of folders, plus /t/b/c and /t/d/e as document names that clash with
        // the folders of the same names whenever those hold something.
        string[] folders = ["/t/a/", "/t/b/", "/t/b/c/", "/t/d/", "/t/d/e/", "/t/d/e/f/"];
        var keys = new List<string>();
        for (var i = 0; i < 36; i++)
        {
            keys.Add(folders[i % folders.Length] + "k" + i);
        }

        string[] clashKeys = ["/t/b/c", "/t/d/e"];
        keys.AddRange(clashKeys);

        // Seed every other ordinary key.
        var seeded = new Dictionary<string, PutResult>(StringComparer.Ordinal);
        foreach (var key in keys.Where((k, i) => i % 2 == 0 && !clashKeys.Contains(k)))
        {
            var r = await PutAsync(server.Client, token, root + key, "seed " + key);
            Assert.Equal(HttpStatusCode.Created, r.Status);
            seeded[key] = r;
        }

        var rootBefore = await ListAsync(server.Client, token, root + "/");

        var random = new Random(20261125);
        var ops = Enumerable.Range(0, 200).Select(i => (Key: keys[random.Next(keys.Count)], Put: random.Next(3) != 0, Index: i)).ToList();

        using var client = NewParallelClient();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = ops.Select(async op =>
        {
            await start.Task;
            return op.Put
                ? await PutAsync(client, token, root + op.Key, $"op {op.Index} wrote {op.Key} " + new string('x', op.Index))
                : await DeleteAsync(client, token, root + op.Key);
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(tasks);

        // Every answer is one the protocol allows for that request.
        for (var i = 0; i < ops.Count; i++)
        {
            var (key, put, _) = ops[i];
            var status = results[i].Status;
            var clashes = clashKeys.Any(c => key == c || key.StartsWith(c + "/", StringComparison.Ordinal));
            HttpStatusCode[] allowed = put
                ? clashes ? [HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.Conflict] : [HttpStatusCode.OK, HttpStatusCode.Created]
                : [HttpStatusCode.OK, HttpStatusCode.NotFound];
            Assert.True(allowed.Contains(status), $"{(put ? "PUT" : "DELETE")} {key} answered {(int)status}");
            if (status is HttpStatusCode.OK or HttpStatusCode.Created)
            {
                Assert.NotNull(results[i].ETag);
            }
        }

        // The final state, read document by document, agrees with what the writes reported.
        var expected = new Dictionary<string, GetResult>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var got = await GetAsync(server.Client, token, root + key);
            Assert.True(got.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"GET {key} answered {(int)got.Status}");
            var successfulPuts = ops.Select((op, i) => (op, r: results[i]))
                .Where(x => x.op.Key == key && x.op.Put && x.r.Status is HttpStatusCode.OK or HttpStatusCode.Created)
                .Select(x => x.r)
                .ToList();
            var successfulDeletes = ops.Select((op, i) => (op, r: results[i]))
                .Count(x => x.op.Key == key && !x.op.Put && x.r.Status == HttpStatusCode.OK);
            if (got.Status == HttpStatusCode.OK)
            {
                expected[key] = got;
                var writer = successfulPuts.SingleOrDefault(p => p.ETag == got.ETag) ?? (seeded.TryGetValue(key, out var s) && s.ETag == got.ETag ? s : null);
                Assert.True(writer is not null, $"{key} holds version {got.ETag}, which no successful PUT returned");
                Assert.Equal(writer.Body, got.Text);
            }
            else
            {
                Assert.True(successfulDeletes > 0 || (!seeded.ContainsKey(key) && successfulPuts.Count == 0), $"{key} is gone but nothing deleted it");
            }
        }

        // Walk the tree from the root through the listings.
        var listed = new Dictionary<string, (string ETag, long Length, string ContentType)>(StringComparer.Ordinal);
        await WalkAsync("/");
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, item) in listed)
        {
            var got = expected[key];
            Assert.Equal(got.ETag, "\"" + item.ETag + "\"");
            Assert.Equal(got.ContentLength, item.Length);
            Assert.Equal(Encoding.UTF8.GetByteCount(got.Text), item.Length);
            Assert.Equal(TextPlain, item.ContentType);
        }

        var rootAfter = await ListAsync(server.Client, token, root + "/");
        Assert.NotEqual(rootBefore.ETag, rootAfter.ETag);

        // No name is both a document and a folder, and the stored counters add up.
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var nodes = await db.Nodes.AsNoTracking().Where(x => x.Owner == user).ToListAsync();
        var paths = nodes.Select(x => x.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var doc in nodes.Where(x => !x.IsFolder))
        {
            Assert.DoesNotContain(doc.Path + "/", paths);
        }

        await AssertTreeInvariantsAsync(user);
        await AssertBlobsMatchRowsAsync();

        async Task WalkAsync(string folder)
        {
            var listing = await ListAsync(server.Client, token, root + folder);
            Assert.Equal(HttpStatusCode.OK, listing.Status);
            if (folder != "/")
            {
                Assert.True(listing.Items.Count > 0, $"{folder} is listed in its parent but empty");
            }

            foreach (var (name, item) in listing.Items)
            {
                var path = folder + name;
                var etag = item.GetProperty("ETag").GetString()!;
                if (name.EndsWith('/'))
                {
                    var child = await ListAsync(server.Client, token, root + path);
                    Assert.Equal("\"" + etag + "\"", child.ETag);
                    await WalkAsync(path);
                }
                else
                {
                    var doc = await GetAsync(server.Client, token, root + path);
                    Assert.Equal(HttpStatusCode.OK, doc.Status);
                    Assert.Equal("\"" + etag + "\"", doc.ETag);
                    Assert.Equal(item.GetProperty("Content-Length").GetInt64(), doc.ContentLength);
                    listed[path] = (etag, item.GetProperty("Content-Length").GetInt64(), item.GetProperty("Content-Type").GetString()!);
                }
            }
        }
    }

    [Fact]
    public async Task Reads_during_parallel_overwrites_always_return_a_whole_committed_version()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var url = $"/storage/{user}/notes/hot";
        var first = await PutAsync(server.Client, token, url, "version -1");
        Assert.Equal(HttpStatusCode.Created, first.Status);

        using var client = NewParallelClient();
        var writesDone = new CancellationTokenSource();
        var written = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        written[first.ETag!] = first.Body;

        var writers = Enumerable.Range(0, 4).Select(async w =>
        {
            for (var i = 0; i < 10; i++)
            {
                var r = await PutAsync(client, token, url, $"version {w}.{i} " + new string('y', (w * 10) + i));
                Assert.Equal(HttpStatusCode.OK, r.Status);
                written[r.ETag!] = r.Body;
            }
        }).ToList();
        var readers = Enumerable.Range(0, 4).Select(async _ =>
        {
            var seen = new List<GetResult>();
            while (!writesDone.IsCancellationRequested)
            {
                seen.Add(await GetAsync(client, token, url));
            }

            return seen;
        }).ToList();

        await Task.WhenAll(writers);
        await writesDone.CancelAsync();
        var reads = (await Task.WhenAll(readers)).SelectMany(r => r).ToList();

        Assert.NotEmpty(reads);
        foreach (var read in reads)
        {
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.True(written.TryGetValue(read.ETag!, out var body), $"GET returned version {read.ETag}, which no PUT returned");
            Assert.Equal(body, read.Text);
        }
    }
}

public sealed class ConcurrentConsistencyTests_Sqlite(SqliteServerFixture server) : ConcurrentConsistencyTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ConcurrentConsistencyTests_Postgres(PostgresServerFixture server) : ConcurrentConsistencyTests(server), IClassFixture<PostgresServerFixture>;

public sealed class ConcurrentConsistencyTests_PostgresS3(PostgresS3ServerFixture server) : ConcurrentConsistencyTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class ConcurrentConsistencyTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : ConcurrentConsistencyTests(server);
