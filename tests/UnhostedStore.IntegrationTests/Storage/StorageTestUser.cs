using System.Net;
using System.Text;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// A fresh user with a <c>*:rw</c> token, and small helpers to talk to that user's storage.
/// Headers are read through <c>NonValidated</c> so assertions see the exact bytes the server sent.
/// </summary>
public sealed class StorageTestUser
{
    private readonly ServerFixture _server;

    public StorageTestUser(ServerFixture server, params string[] scopes)
    {
        _server = server;
        Name = ServerFixture.NewUser();
        Token = server.Tokens.Issue(Name, scopes.Length == 0 ? ["*:rw"] : scopes);
    }

    public string Name { get; }

    public string Token { get; }

    /// <summary>The request URL of <paramref name="path"/> (already percent-encoded, starting with '/').</summary>
    public string Url(string path) => $"/storage/{Name}{path}";

    public Task<HttpResponseMessage> PutAsync(string path, string text, string contentType = "text/plain", Action<HttpRequestMessage>? configure = null) =>
        PutAsync(path, Encoding.UTF8.GetBytes(text), contentType, configure);

    public Task<HttpResponseMessage> PutAsync(string path, byte[] body, string? contentType, Action<HttpRequestMessage>? configure = null)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return SendAsync(HttpMethod.Put, path, content, configure);
    }

    /// <summary>PUTs and asserts success (201 or 200); returns the new quoted ETag.</summary>
    public Task<string> PutOkAsync(string path, string text = "x", string contentType = "text/plain") =>
        PutOkAsync(path, Encoding.UTF8.GetBytes(text), contentType);

    /// <summary>PUTs and asserts success (201 or 200); returns the new quoted ETag.</summary>
    public async Task<string> PutOkAsync(string path, byte[] body, string contentType)
    {
        using var response = await PutAsync(path, body, contentType);
        Assert.True(
            response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
            $"PUT {path} answered {(int)response.StatusCode}");
        return ETagOf(response)!;
    }

    public Task<HttpResponseMessage> GetAsync(string path, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, path, null, configure);

    public Task<HttpResponseMessage> HeadAsync(string path, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Head, path, null, configure);

    public Task<HttpResponseMessage> DeleteAsync(string path, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Delete, path, null, configure);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, Url(path)) { Content = content }.WithToken(Token);
        configure?.Invoke(request);
        return await _server.Client.SendAsync(request);
    }

    /// <summary>The quoted ETag header of a successful GET of <paramref name="path"/> (folder or document).</summary>
    public async Task<string> ETagAsync(string path)
    {
        using var response = await GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ETagOf(response)!;
    }

    /// <summary>GETs a folder and returns its listing (asserting 200).</summary>
    public async Task<(string ETag, JsonElement Root)> ListAsync(string folder)
    {
        using var response = await GetAsync(folder);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        return (ETagOf(response)!, json.RootElement.Clone());
    }

    /// <summary>The names in a folder's listing.</summary>
    public async Task<string[]> ItemNamesAsync(string folder)
    {
        var (_, root) = await ListAsync(folder);
        return root.GetProperty("items").EnumerateObject().Select(p => p.Name).ToArray();
    }

    /// <summary>Asserts that <paramref name="path"/> still holds exactly this version: body, Content-Type and ETag.</summary>
    public async Task AssertDocumentAsync(string path, byte[] body, string contentType, string etag)
    {
        using var response = await GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(contentType, Header(response, "Content-Type"));
        Assert.Equal(etag, ETagOf(response));
    }

    public Task AssertDocumentAsync(string path, string text, string contentType, string etag) =>
        AssertDocumentAsync(path, Encoding.UTF8.GetBytes(text), contentType, etag);

    public async Task AssertMissingAsync(string path)
    {
        using var response = await GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(ETagOf(response));
    }

    /// <summary>The exact header value as sent (response or content header), or null.</summary>
    public static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.NonValidated.TryGetValues(name, out var values))
        {
            return string.Join(", ", values);
        }

        return response.Content.Headers.NonValidated.TryGetValues(name, out var contentValues)
            ? string.Join(", ", contentValues)
            : null;
    }

    public static string? ETagOf(HttpResponseMessage response) => Header(response, "ETag");

    /// <summary>Every header except Date, as name → value, sorted, for "identical answer" comparisons.</summary>
    public static SortedDictionary<string, string> HeadersWithoutDate(HttpResponseMessage response)
    {
        var result = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            if (!string.Equals(h.Key, "Date", StringComparison.OrdinalIgnoreCase))
            {
                result[h.Key] = string.Join(", ", h.Value);
            }
        }

        return result;
    }

    /// <summary>A strong entity tag in header form: quoted, not weak, non-empty.</summary>
    public static void AssertStrongQuoted(string? etag)
    {
        Assert.NotNull(etag);
        Assert.Matches("^\"[\\x21\\x23-\\x7E]+\"$", etag);
    }

    /// <summary>Unquotes a header ETag, as listings write it.</summary>
    public static string Unquote(string etag) => etag.Trim('"');
}

/// <summary>Content whose length is unknown up front, so HttpClient sends it with
/// <c>Transfer-Encoding: chunked</c>, in pieces.</summary>
public sealed class UnknownLengthContent : HttpContent
{
    private readonly byte[] _body;
    private readonly int _pieceSize;

    public UnknownLengthContent(byte[] body, string contentType, int pieceSize = 4096)
    {
        _body = body;
        _pieceSize = pieceSize;
        Headers.TryAddWithoutValidation("Content-Type", contentType);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (var offset = 0; offset < _body.Length; offset += _pieceSize)
        {
            await stream.WriteAsync(_body.AsMemory(offset, Math.Min(_pieceSize, _body.Length - offset)));
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
