using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.DataFreedom.ExportHelpers;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>The export zip (<c>/account/export.zip</c>): every document's bytes under its
/// escaped name, each folder's description equal to what the storage API says, the manifest's
/// checksums, the module filter, and only ever the logged-in person's data.</summary>
public abstract class ExportTests(ServerFixture server)
{
    [Fact]
    public async Task An_account_of_1000_documents_exports_every_document_description_and_checksum_as_the_storage_api_serves_them()
    {
        var (user, browser) = await Accounts.AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var token = server.Tokens.Issue(user, "*:rw");
        var documents = await PopulateAsync(server, user, token);

        using var zip = await DownloadAsync(browser);

        // Every document, under its escaped name, byte for byte; nothing else.
        var exported = Documents(zip);
        Assert.Equal(documents.Keys.Select(EntryName).Order(StringComparer.Ordinal), exported.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, document) in documents)
        {
            Assert.True(document.Body.AsSpan().SequenceEqual(exported[EntryName(path)]), path);
        }

        // Each folder's description is the folder's listing: compare it with GET of that folder,
        // and every document item with a HEAD of the document.
        var descriptions = zip.Entries.Where(e => e.Name == Description).ToList();
        var folders = documents.Keys.SelectMany(FoldersOf).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(folders.Select(f => Folder(f) + Description).Order(StringComparer.Ordinal), descriptions.Select(e => e.FullName).Order(StringComparer.Ordinal));
        var heads = 0;
        foreach (var folder in folders)
        {
            using var description = ReadJson(zip, Folder(folder) + Description);
            using var listing = await SendAsync(server, HttpMethod.Get, user, token, folder);
            Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
            using var served = JsonDocument.Parse(await listing.Content.ReadAsByteArrayAsync());
            Assert.Equal(served.RootElement.GetRawText(), description.RootElement.GetRawText());

            await Parallel.ForEachAsync(description.RootElement.GetProperty("items").EnumerateObject().Where(i => !i.Name.EndsWith('/')).ToList(), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, ct) =>
            {
                using var head = await SendAsync(server, HttpMethod.Head, user, token, folder + item.Name);
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                Assert.Equal(Unquote(head.Headers.ETag), item.Value.GetProperty("ETag").GetString());
                Assert.Equal(head.Content.Headers.ContentType?.ToString(), item.Value.GetProperty("Content-Type").GetString());
                Assert.Equal(head.Content.Headers.ContentLength, item.Value.GetProperty("Content-Length").GetInt64());
                Assert.Equal(head.Content.Headers.LastModified?.ToString("r"), item.Value.GetProperty("Last-Modified").GetString());
                Interlocked.Increment(ref heads);
            });
        }

        Assert.Equal(documents.Count, heads);

        // The manifest: who, how much, and the SHA-256 of every document entry.
        using var manifest = ReadJson(zip, Manifest);
        var root = manifest.RootElement;
        Assert.Equal("unhostedstore-export", root.GetProperty("format").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        Assert.Equal(user, root.GetProperty("user").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("module").ValueKind);
        Assert.Equal(documents.Count, root.GetProperty("documents").GetInt64());
        Assert.Equal(documents.Values.Sum(d => (long)d.Body.Length), root.GetProperty("bytes").GetInt64());
        var hashes = root.GetProperty("sha256").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.Ordinal);
        // Keyed by the real path from the root, like the descriptions' items, not by the escaped entry name.
        Assert.Equal(documents.Count, hashes.Count);
        foreach (var (path, document) in documents)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(document.Body)), hashes[path[1..]]);
        }
    }

    [Fact]
    public async Task A_module_export_holds_the_module_and_its_public_documents_only_and_bad_modules_are_refused_in_words()
    {
        var (user, browser) = await Accounts.AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var token = server.Tokens.Issue(user, "*:rw");
        var documents = await PopulateAsync(server, user, token, count: 60);

        using var zip = await DownloadAsync(browser, "notes");
        var expected = documents.Keys.Where(p => p.StartsWith("/notes/", StringComparison.Ordinal) || p.StartsWith("/public/notes/", StringComparison.Ordinal)).ToList();
        Assert.Contains(expected, p => p.StartsWith("/public/", StringComparison.Ordinal));
        Assert.Equal(expected.Select(EntryName).Order(StringComparer.Ordinal), Documents(zip).Keys.Order(StringComparer.Ordinal));
        using (var rootDescription = ReadJson(zip, Description))
        {
            Assert.Equal(["notes/", "public/"], rootDescription.RootElement.GetProperty("items").EnumerateObject().Select(i => i.Name));
        }

        using (var manifest = ReadJson(zip, Manifest))
        {
            Assert.Equal("notes", manifest.RootElement.GetProperty("module").GetString());
            Assert.Equal(expected.Count, manifest.RootElement.GetProperty("documents").GetInt64());
        }

        foreach (var (module, status, words) in new[]
        {
            ("a/b", HttpStatusCode.BadRequest, "no \"/\""),
            ("public", HttpStatusCode.BadRequest, "not a module"),
            ("nothing-here", HttpStatusCode.NotFound, "no documents in the module"),
        })
        {
            using var response = await browser.GetAsync("/account/export.zip?module=" + Uri.EscapeDataString(module));
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(words, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_a_login_the_zip_is_a_redirect_to_the_login_page_and_one_person_never_gets_anothers_documents()
    {
        using var anonymous = server.NewClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        using (var response = await anonymous.GetAsync("/account/export.zip"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location?.IsAbsoluteUri == true ? response.Headers.Location.AbsolutePath : response.Headers.Location?.OriginalString, StringComparison.Ordinal);
            Assert.NotEqual("application/zip", response.Content.Headers.ContentType?.MediaType);
        }

        var other = ServerFixture.NewUser();
        var otherToken = server.Tokens.Issue(other, "*:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, other, otherToken, "/notes/secret of " + other, new StoredDocument("not yours"u8.ToArray(), "text/plain")));

        var (user, browser) = await Accounts.AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        var token = server.Tokens.Issue(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/mine", new StoredDocument("mine"u8.ToArray(), "text/plain")));

        using var zip = await DownloadAsync(browser);
        Assert.Equal(["notes/mine"], Documents(zip).Keys);
        Assert.DoesNotContain(zip.Entries, e => e.FullName.Contains(other, StringComparison.Ordinal));
        using var manifest = ReadJson(zip, Manifest);
        Assert.Equal(user, manifest.RootElement.GetProperty("user").GetString());
    }

    /// <summary>Every folder above a document path, from the root: <c>/</c>, <c>/a/</c>, ….</summary>
    internal static IEnumerable<string> FoldersOf(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..(slash + 1)];
        }
    }

    /// <summary>The zip folder of a storage folder: <c>""</c> for the root, else escaped segments and a slash.</summary>
    internal static string Folder(string folder) => folder == "/" ? string.Empty : EntryName(folder.TrimEnd('/')) + "/";
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class ExportTests_Sqlite(SqliteServerFixture server) : ExportTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ExportTests_PostgresS3(PostgresS3ServerFixture server) : ExportTests(server), IClassFixture<PostgresS3ServerFixture>;
