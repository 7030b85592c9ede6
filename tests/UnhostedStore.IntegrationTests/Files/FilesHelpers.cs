using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>What the file browser tests do as a logged-in browser, and documents they seed.</summary>
internal static class FilesHelpers
{
    /// <summary>The antiforgery token of the upload form on <paramref name="page"/>.</summary>
    public static async Task<string> AntiforgeryAsync(Browser browser, string page = "/files")
    {
        var html = await browser.GetPageAsync(page);
        var form = Html.Form(html, "id=\"upload-form\"");
        return Html.HiddenInputs(form).Single(i => i.Name == "__RequestVerificationToken").Value;
    }

    /// <summary>The query form of a path: each name percent-encoded, slashes kept (as the pages write it).</summary>
    public static string Encode(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>A PUT to the page's upload endpoint, as files.js sends it.</summary>
    public static async Task<HttpResponseMessage> UploadAsync(Browser browser, string? antiforgery, string path, HttpContent content, bool ifNoneMatch = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/files/upload?path=" + Encode(path)) { Content = content };
        if (antiforgery is not null)
        {
            request.Headers.Add("RequestVerificationToken", antiforgery);
        }

        if (ifNoneMatch)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", "*");
        }

        return await browser.SendAsync(request);
    }

    public static ByteArrayContent Content(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    /// <summary>Uploads and asserts it was stored (201).</summary>
    public static async Task UploadOkAsync(Browser browser, string antiforgery, string path, byte[] bytes, string contentType)
    {
        using var response = await UploadAsync(browser, antiforgery, path, Content(bytes, contentType));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"upload {path}: {(int)response.StatusCode} {body}");
    }

    /// <summary>The "message" of an upload's JSON answer.</summary>
    public static async Task<(bool Ok, string Outcome, string Message)> AnswerAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        return (root.GetProperty("ok").GetBoolean(), root.GetProperty("outcome").GetString()!, root.GetProperty("message").GetString()!);
    }

    /// <summary>Stores documents straight through the write service, <paramref name="parallel"/>
    /// at a time (they are group-committed like concurrent app requests).</summary>
    public static async Task SeedAsync(ServerFixture server, string user, IReadOnlyList<(string Path, byte[] Bytes, string Type)> documents, int parallel = 16, string? app = null)
    {
        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (doc, ct) =>
        {
            await using var scope = server.CreateScope();
            Assert.Equal(StoragePathParseResult.Ok, StoragePath.TryParse(Encode(doc.Path), out var path));
            using var body = new MemoryStream(doc.Bytes);
            var outcome = await scope.ServiceProvider.GetRequiredService<DocumentWrites>()
                .PutAsync(user, path!, doc.Type, body, doc.Bytes.Length, RequestConditions.None, ct, app);
            Assert.True(outcome is StorageOutcome.Created or StorageOutcome.Updated, $"{doc.Path}: {outcome}");
        });
    }

    /// <summary>The number of times <paramref name="marker"/> occurs in <paramref name="html"/>.</summary>
    public static int Count(string html, string marker)
    {
        var (count, at) = (0, 0);
        while ((at = html.IndexOf(marker, at, StringComparison.Ordinal)) >= 0)
        {
            count++;
            at += marker.Length;
        }

        return count;
    }
}
