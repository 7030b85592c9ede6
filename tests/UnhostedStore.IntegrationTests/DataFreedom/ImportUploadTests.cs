using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>The import form takes archives far larger than the server's default request limit
/// (Kestrel's 30 MB), through the same antiforgery-checked form a browser posts.</summary>
public abstract class ImportUploadTests(ServerFixture server)
{
    [Fact]
    public async Task An_archive_of_40_MB_posted_on_the_import_form_is_taken_and_every_byte_is_imported()
    {
        var (user, browser) = await Accounts.AccountTestHelpers.LoggedInUserAsync(server);
        using var _ = browser;
        // The test servers cap documents at 1 MiB: many documents just under it, which random
        // bytes keep as large in the zip.
        var docs = Enumerable.Range(0, 42)
            .Select(i => new TestDoc($"videos/part-{i}.bin", RandomNumberGenerator.GetBytes(1_000_000), "application/octet-stream", new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc)))
            .ToList();
        var zip = TestArchive.Export(docs);
        Assert.True(zip.Length > 40_000_000);

        var page = await browser.GetPageAsync("/account/import");
        var form = Html.Form(page, "id=\"import-form\"");
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in Html.HiddenInputs(form))
        {
            content.Add(new StringContent(value), name);
        }

        content.Add(new StringContent("skip"), "Mode");
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(file, "archive", "big.zip");
        using var posted = await browser.PostMultipartAsync("/account/import", content);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var job = posted.Headers.Location!.ToString();
        Assert.Contains("job=", job, StringComparison.Ordinal);

        // The job runs on the server: wait for its report.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? report = null;
        var html = string.Empty;
        while (report is null && DateTime.UtcNow < deadline)
        {
            html = await browser.GetPageAsync(job);
            report = Html.Element(html, "id=\"imported\"", "</");
            if (report is null)
            {
                await Task.Delay(200);
            }
        }

        Assert.True(report is not null && report.Contains(">42<", StringComparison.Ordinal), html);
        var token = server.Tokens.Issue(user, "videos:r");
        foreach (var doc in docs)
        {
            using var stored = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{doc.Path}").WithToken(token));
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
            Assert.Equal(doc.Bytes, await stored.Content.ReadAsByteArrayAsync());
        }
    }
}

public sealed class ImportUploadTests_Sqlite(SqliteServerFixture server) : ImportUploadTests(server), IClassFixture<SqliteServerFixture>;

public sealed class ImportUploadTests_PostgresS3(PostgresS3ServerFixture server) : ImportUploadTests(server), IClassFixture<PostgresS3ServerFixture>;
