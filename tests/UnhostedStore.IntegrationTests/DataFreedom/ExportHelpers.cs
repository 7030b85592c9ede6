using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

public sealed record StoredDocument(byte[] Body, string ContentType);

/// <summary>An account to export, and how the tests read an export back.</summary>
internal static class ExportHelpers
{
    public const string Description = "000_folder-description.json";

    public const string Manifest = "unhostedstore-export.json";

    /// <summary>Names a zip or a filesystem cannot hold as they are, or that collide with the
    /// archive's own files; each must come back exactly.</summary>
    public static readonly string[] AwkwardPaths =
    [
        "/notes/000_folder-description.json",
        "/notes/back\\slash.txt",
        "/notes/bell\u0007char.txt",
        "/notes/~us~looks-escaped.txt",
        "/notes/100% done.txt",
        "/notes/café/日本語 メモ.md",
        "/unhostedstore-export.json",
    ];

    /// <summary>1,000 documents: text, JSON and binary (some large enough for a blob of their
    /// own on every backend), spaces, <c>%</c>, non-ASCII, a public folder and
    /// <see cref="AwkwardPaths"/>. Returns each path with its bytes and type.</summary>
    public static async Task<Dictionary<string, StoredDocument>> PopulateAsync(ServerFixture server, string user, string token, int count = 1000)
    {
        var documents = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
        var random = new Random(user.GetHashCode(StringComparison.Ordinal));
        foreach (var path in AwkwardPaths)
        {
            documents[path] = new StoredDocument(Encoding.UTF8.GetBytes("awkward " + path), "text/plain; charset=utf-8");
        }

        for (var i = 0; documents.Count < count; i++)
        {
            var (path, doc) = (i % 5) switch
            {
                0 or 1 => ($"/notes/note {i}.txt", new StoredDocument(Encoding.UTF8.GetBytes($"note {i}: " + new string('x', i % 300)), "text/plain; charset=utf-8")),
                2 => ($"/notes/json/item-{i}.json", new StoredDocument(Encoding.UTF8.GetBytes($$"""{"id":{{i}},"title":"Ünïcödé {{i}}"}"""), "application/json")),
                3 => ($"/photos/2024/img {i}.png", new StoredDocument(RandomBytes(random, i % 50 == 3 ? 300_000 : 20 + (i % 2000)), "image/png")),
                _ => ($"/public/notes/shared {i}.txt", new StoredDocument(Encoding.UTF8.GetBytes($"public {i}"), "text/plain")),
            };
            documents[path] = doc;
        }

        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (pair, ct) =>
            Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, pair.Key, pair.Value)));
        return documents;
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The request target of a storage path: each segment percent-encoded.</summary>
    public static string Target(string user, string path) =>
        $"/storage/{user}" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    public static async Task<HttpStatusCode> PutAsync(ServerFixture server, string user, string token, string path, StoredDocument document)
    {
        var content = new ByteArrayContent(document.Body);
        content.Headers.TryAddWithoutValidation("Content-Type", document.ContentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, Target(user, path)) { Content = content }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    public static async Task<HttpResponseMessage> SendAsync(ServerFixture server, HttpMethod method, string user, string token, string path)
    {
        using var request = new HttpRequestMessage(method, Target(user, path)).WithToken(token);
        return await server.Client.SendAsync(request);
    }

    /// <summary>Downloads <c>/account/export.zip</c> as <paramref name="browser"/>'s person.</summary>
    public static async Task<ZipArchive> DownloadAsync(Browser browser, string? module = null)
    {
        using var response = await browser.GetAsync("/account/export.zip" + (module is null ? string.Empty : "?module=" + Uri.EscapeDataString(module)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        // Streamed as it is written: chunked, with no Content-Length announced.
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.False(response.Content.Headers.TryGetValues("Content-Length", out _));
        var disposition = string.Join(",", response.Content.Headers.GetValues("Content-Disposition"));
        Assert.Matches($@"^attachment; filename=""u[0-9a-f]{{12}}-{DateTime.UtcNow:yyyyMMdd}\.zip""$", disposition);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
    }

    public static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static JsonDocument ReadJson(ZipArchive zip, string name) =>
        JsonDocument.Parse(Read(zip.GetEntry(name) ?? throw new InvalidOperationException($"no entry {name}")));

    /// <summary>Every document of the zip: entry name → bytes (descriptions and the manifest left out).</summary>
    public static Dictionary<string, byte[]> Documents(ZipArchive zip) =>
        zip.Entries
            .Where(e => e.Name != Description && e.FullName != Manifest)
            .ToDictionary(e => e.FullName, Read, StringComparer.Ordinal);

    /// <summary>The zip entry a storage path is exported to (the archive name rule, written
    /// out again here so a mistake in one is caught by the other).</summary>
    public static string EntryName(string path)
    {
        var segments = path.TrimStart('/').Split('/');
        return string.Join('/', segments.Select((s, i) => Escape(s, i == 0)));

        static string Escape(string s, bool atRoot)
        {
            var needs = s == Description || (atRoot && s == Manifest) || s.StartsWith("~us~", StringComparison.Ordinal) || s.Any(c => c == '\\' || c < ' ' || c == '\u007f');
            return !needs ? s : "~us~" + string.Concat(s.Select(c => c is '%' or '\\' or '~' || c < ' ' || c == '\u007f' ? $"%{(int)c:X2}" : c.ToString()));
        }
    }

    public static string Unquote(EntityTagHeaderValue? tag) => tag?.Tag.Trim('"') ?? string.Empty;
}
