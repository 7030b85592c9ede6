using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Many simultaneous writes on one user's tree: conditional writes have exactly one winner, and
/// the metadata (listings, versions, child counts, usage counters, blobs) stays consistent.
/// </summary>
public abstract class ConcurrencyTests(ServerFixture server)
{
    private const string TextPlain = "text/plain; charset=UTF-8";

    [Fact]
    public async Task Thirty_two_parallel_puts_with_the_same_if_match_give_one_success_and_31_precondition_failures()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var url = $"/storage/{user}/notes/race";
        var original = await PutAsync(server.Client, token, url, "original");
        Assert.Equal(HttpStatusCode.Created, original.Status);

        using var client = NewParallelClient();
        const int n = 32;
        var gate = new StartGate(n);
        var bodies = Enumerable.Range(0, n).Select(i => $"version {i} of the document").ToArray();
        var results = await Task.WhenAll(bodies.Select(body => PutAsync(client, token, url, body, ifMatch: original.ETag, gate: gate)));

        Assert.True(gate.AllStarted, "all 32 uploads must be in flight before any body is sent");
        var winners = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        Assert.Single(winners);
        Assert.Equal(n - 1, results.Count(r => r.Status == HttpStatusCode.PreconditionFailed));
        var winner = winners[0];
        Assert.NotNull(winner.ETag);
        Assert.NotEqual(original.ETag, winner.ETag);

        // Every loser ran after the winner committed, so it reports the winner's version.
        Assert.All(results.Where(r => r.Status == HttpStatusCode.PreconditionFailed), r => Assert.Equal(winner.ETag, r.ETag));

        var stored = await GetAsync(server.Client, token, url);
        Assert.Equal(HttpStatusCode.OK, stored.Status);
        Assert.Equal(winner.ETag, stored.ETag);
        Assert.Equal(winner.Body, stored.Text);
        await AssertBlobsMatchRowsAsync();
    }

    [Fact]
    public async Task Parallel_if_none_match_star_creates_of_one_new_document_give_one_201_and_the_rest_412()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var url = $"/storage/{user}/notes/new/doc";

        using var client = NewParallelClient();
        const int n = 24;
        var gate = new StartGate(n);
        var results = await Task.WhenAll(Enumerable.Range(0, n)
            .Select(i => PutAsync(client, token, url, $"creator {i}", ifNoneMatch: "*", gate: gate)));

        Assert.True(gate.AllStarted);
        var winners = results.Where(r => r.Status == HttpStatusCode.Created).ToList();
        Assert.Single(winners);
        Assert.Equal(n - 1, results.Count(r => r.Status == HttpStatusCode.PreconditionFailed));
        Assert.All(results.Where(r => r.Status == HttpStatusCode.PreconditionFailed), r => Assert.Equal(winners[0].ETag, r.ETag));

        var stored = await GetAsync(server.Client, token, url);
        Assert.Equal(winners[0].ETag, stored.ETag);
        Assert.Equal(winners[0].Body, stored.Text);

        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        Assert.Equal(1, account.DocumentCount);
        Assert.Equal(Encoding.UTF8.GetByteCount(winners[0].Body), account.UsedBytes);
        var folder = await db.Nodes.AsNoTracking().SingleAsync(x => x.Owner == user && x.Path == "/notes/new/");
        Assert.Equal(1, folder.ChildCount);
        await AssertBlobsMatchRowsAsync();
    }

    [Fact]
    public async Task Parallel_deletes_with_the_same_if_match_give_one_200_and_the_rest_412_or_404()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "*:rw");
        var url = $"/storage/{user}/notes/doomed/doc";
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(server.Client, token, $"/storage/{user}/notes/keep", "keep")).Status);
        var created = await PutAsync(server.Client, token, url, "to be deleted");
        Assert.Equal(HttpStatusCode.Created, created.Status);

        using var client = NewParallelClient();
        const int n = 24;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, n).Select(async _ =>
        {
            await start.Task;
            return await DeleteAsync(client, token, url, ifMatch: created.ETag);
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(tasks);

        var winners = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        Assert.Single(winners);
        Assert.Equal(created.ETag, winners[0].ETag);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Contains(r.Status, new[] { HttpStatusCode.PreconditionFailed, HttpStatusCode.NotFound }));

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(server.Client, token, url)).Status);
        var notes = await ListAsync(server.Client, token, $"/storage/{user}/notes/");
        Assert.Equal(["keep"], notes.Items.Keys.Order(StringComparer.Ordinal));

        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        Assert.Equal(1, account.DocumentCount);
        Assert.Equal(4, account.UsedBytes);
        Assert.False(await db.Nodes.AnyAsync(x => x.Owner == user && x.Path.StartsWith("/notes/doomed")));
        await AssertBlobsMatchRowsAsync();
    }

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

    /// <summary>Every folder row counts its children exactly, parents exist, and the account's
    /// counters are the sums over its documents.</summary>
    private async Task AssertTreeInvariantsAsync(string user)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var nodes = await db.Nodes.AsNoTracking().Where(x => x.Owner == user).ToListAsync();
        var byPath = nodes.ToDictionary(x => x.Path, StringComparer.Ordinal);
        foreach (var folder in nodes.Where(x => x.IsFolder))
        {
            var children = nodes.Count(x => x.ParentPath == folder.Path);
            Assert.True(children == folder.ChildCount, $"{folder.Path} has ChildCount {folder.ChildCount} but {children} child rows");
            Assert.True(children > 0, $"empty folder row {folder.Path}");
        }

        foreach (var node in nodes.Where(x => x.Path != "/"))
        {
            Assert.True(node.ParentPath is not null && byPath.TryGetValue(node.ParentPath, out var parent) && parent.IsFolder, $"{node.Path} has no parent folder row");
        }

        var docs = nodes.Where(x => !x.IsFolder).ToList();
        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
        Assert.Equal(docs.Count, account.DocumentCount);
        Assert.Equal(docs.Sum(d => d.ContentLength), account.UsedBytes);
    }

    /// <summary>Every document row's blob exists and no blob is left that no row references
    /// (old versions are deleted right after the commit, so allow a moment for that).</summary>
    private async Task AssertBlobsMatchRowsAsync()
    {
        HashSet<string> referenced = [];
        HashSet<string> files = [];
        for (var attempt = 0; attempt < 10; attempt++)
        {
            await using (var scope = server.CreateScope())
            {
                var db = ServerFixture.Db(scope);
                referenced = (await db.Nodes.AsNoTracking().Where(x => !x.IsFolder && x.BlobKey != null).Select(x => x.BlobKey!).ToListAsync()).ToHashSet(StringComparer.Ordinal);
            }

            files = await server.StoredBlobKeysAsync();
            if (files.SetEquals(referenced))
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Empty(referenced.Except(files));
        Assert.Empty(files.Except(referenced));
        Assert.Empty(server.BlobTempFiles());
    }

    private HttpClient NewParallelClient()
    {
        var client = server.NewClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        });
        client.Timeout = TimeSpan.FromSeconds(60);
        return client;
    }

    private static async Task<PutResult> PutAsync(
        HttpClient client, string token, string url, string body, string? ifMatch = null, string? ifNoneMatch = null, StartGate? gate = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        HttpContent content = gate is null ? new ByteArrayContent(bytes) : new GatedContent(bytes, gate);
        content.Headers.TryAddWithoutValidation("Content-Type", TextPlain);
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content }.WithToken(token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        using var response = await client.SendAsync(request);
        return new PutResult(response.StatusCode, response.Headers.ETag?.Tag, body);
    }

    private static async Task<PutResult> DeleteAsync(HttpClient client, string token, string url, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, url).WithToken(token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await client.SendAsync(request);
        return new PutResult(response.StatusCode, response.Headers.ETag?.Tag, string.Empty);
    }

    private static async Task<GetResult> GetAsync(HttpClient client, string token, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url).WithToken(token);
        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new GetResult(response.StatusCode, response.Headers.ETag?.Tag, response.Content.Headers.ContentLength, Encoding.UTF8.GetString(bytes));
    }

    private static async Task<Listing> ListAsync(HttpClient client, string token, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url).WithToken(token);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var items = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            using var json = JsonDocument.Parse(text);
            foreach (var item in json.RootElement.GetProperty("items").EnumerateObject())
            {
                items[item.Name] = item.Value.Clone();
            }
        }

        return new Listing(response.StatusCode, response.Headers.ETag?.Tag, items);
    }

    private sealed record PutResult(HttpStatusCode Status, string? ETag, string Body);

    private sealed record GetResult(HttpStatusCode Status, string? ETag, long? ContentLength, string Text);

    private sealed record Listing(HttpStatusCode Status, string? ETag, Dictionary<string, JsonElement> Items);

    /// <summary>Holds every request body back until all <c>count</c> requests have started
    /// sending, so that all of them are in flight before any can complete.</summary>
    private sealed class StartGate(int count)
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;

        public bool AllStarted => _open.Task.IsCompletedSuccessfully;

        public async Task ArriveAndWaitAsync()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _open.TrySetResult();
            }

            // Never hang a test run: if the requests do not all start, AllStarted stays false.
            await Task.WhenAny(_open.Task, Task.Delay(TimeSpan.FromSeconds(15)));
        }
    }

    private sealed class GatedContent(byte[] body, StartGate gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await gate.ArriveAndWaitAsync();
            await stream.WriteAsync(body);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}

public sealed class ConcurrencyTests_Sqlite(SqliteServerFixture server) : ConcurrencyTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ConcurrencyTests_Postgres(PostgresServerFixture server) : ConcurrencyTests(server), IClassFixture<PostgresServerFixture>;

public sealed class ConcurrencyTests_PostgresS3(PostgresS3ServerFixture server) : ConcurrencyTests(server), IClassFixture<PostgresS3ServerFixture>;

public sealed class ConcurrencyTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : ConcurrencyTests(server), IClassFixture<UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture>;
