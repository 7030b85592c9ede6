using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// What <see cref="ConcurrentPreconditionTests"/> and <see cref="ConcurrentConsistencyTests"/>
/// share: a client for many simultaneous requests, requests held back until all are in flight,
/// and the checks that the tree's rows and the blob store agree.
/// </summary>
public abstract class ConcurrencyTestBase
{
    protected const string TextPlain = "text/plain; charset=UTF-8";

    protected abstract ServerFixture Server { get; }

    /// <summary>Every folder row counts its children exactly, parents exist, and the account's
    /// counters are the sums over its documents.</summary>
    protected async Task AssertTreeInvariantsAsync(string user)
    {
        await using var scope = Server.CreateScope();
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

    /// <summary>Every document row's and retained version's blob exists and no blob is left that
    /// no row references (blobs nothing names any more are deleted right after the commit, so
    /// allow a moment for that).</summary>
    protected async Task AssertBlobsMatchRowsAsync()
    {
        HashSet<string> referenced = [];
        HashSet<string> files = [];
        for (var attempt = 0; attempt < 10; attempt++)
        {
            await using (var scope = Server.CreateScope())
            {
                var db = ServerFixture.Db(scope);
                referenced = (await db.Nodes.AsNoTracking().Where(x => !x.IsFolder && x.BlobKey != null).Select(x => x.BlobKey!).ToListAsync()).ToHashSet(StringComparer.Ordinal);
                referenced.UnionWith(await db.DocumentVersions.AsNoTracking().Where(v => v.BlobKey != null).Select(v => v.BlobKey!).ToListAsync());
            }

            files = await Server.StoredBlobKeysAsync();
            if (files.SetEquals(referenced))
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Empty(referenced.Except(files));
        Assert.Empty(files.Except(referenced));
        Assert.Empty(Server.BlobTempFiles());
    }

    protected HttpClient NewParallelClient()
    {
        var client = Server.NewClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        });
        client.Timeout = TimeSpan.FromSeconds(60);
        return client;
    }

    protected static async Task<PutResult> PutAsync(
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

    protected static async Task<PutResult> DeleteAsync(HttpClient client, string token, string url, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, url).WithToken(token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await client.SendAsync(request);
        return new PutResult(response.StatusCode, response.Headers.ETag?.Tag, string.Empty);
    }

    protected static async Task<GetResult> GetAsync(HttpClient client, string token, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url).WithToken(token);
        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new GetResult(response.StatusCode, response.Headers.ETag?.Tag, response.Content.Headers.ContentLength, Encoding.UTF8.GetString(bytes));
    }

    protected static async Task<Listing> ListAsync(HttpClient client, string token, string url)
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

    protected sealed record PutResult(HttpStatusCode Status, string? ETag, string Body);

    protected sealed record GetResult(HttpStatusCode Status, string? ETag, long? ContentLength, string Text);

    protected sealed record Listing(HttpStatusCode Status, string? ETag, Dictionary<string, JsonElement> Items);

    /// <summary>Holds every request body back until all <c>count</c> requests have started
    /// sending, so that all of them are in flight before any can complete.</summary>
    protected sealed class StartGate(int count)
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

    protected sealed class GatedContent(byte[] body, StartGate gate) : HttpContent
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
