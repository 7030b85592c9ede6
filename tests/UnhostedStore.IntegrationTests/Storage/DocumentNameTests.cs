using System.Net;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Storage.SampleBytes;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// Document names (draft-26 §4): Unicode and special characters round-trip and are listed
/// decoded, one name is one document however its allowed characters are percent-encoded, and
/// names differing in case, normalization or a trailing space are different documents.
/// </summary>
public abstract class DocumentNameTests(ServerFixture server)
{
    private StorageTestUser NewUser() => new(server);

    [Fact]
    public async Task Unicode_name_round_trips_and_appears_decoded_in_the_parent_listing()
    {
        var user = NewUser();
        const string encoded = "/pictures/Capture%20d%27%C3%A9cran.jpg";
        using var put = await user.PutAsync(encoded, AllBytes, "image/jpeg; charset=binary");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var etag = StorageTestUser.ETagOf(put)!;

        await user.AssertDocumentAsync(encoded, AllBytes, "image/jpeg; charset=binary", etag);

        var (_, listing) = await user.ListAsync("/pictures/");
        var items = listing.GetProperty("items");
        Assert.Equal(["Capture d'écran.jpg"], items.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(StorageTestUser.Unquote(etag), items.GetProperty("Capture d'écran.jpg").GetProperty("ETag").GetString());
    }

    [Fact]
    public async Task Unicode_name_is_the_same_document_whichever_way_its_allowed_characters_are_encoded()
    {
        var user = NewUser();
        var etag = await user.PutOkAsync("/pictures/Capture%20d%27%C3%A9cran.jpg", "pic", "image/jpeg");

        // The same name with the apostrophe sent raw, as older clients do.
        var response = await RawHttp.SendAsync(
            server.BaseAddress,
            $"GET {user.Url("/pictures/Capture%20d'%C3%A9cran.jpg")} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {user.Token}\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, response.Status);
        Assert.Equal(etag, response.Header("ETag"));
        Assert.Equal("pic", response.BodyText);
    }

    [Theory]
    [InlineData("/notes/%E6%97%A5%E6%9C%AC%E8%AA%9E", "日本語")]
    [InlineData("/notes/emoji%F0%9F%98%80", "emoji😀")]
    [InlineData("/notes/a%22quote%22", "a\"quote\"")]
    [InlineData("/notes/100%25", "100%")]
    [InlineData("/notes/plus+sign", "plus+sign")]
    [InlineData("/notes/!()*~", "!()*~")]
    public async Task Names_with_special_characters_round_trip_and_are_listed_decoded(string encodedPath, string name)
    {
        var user = NewUser();
        var etag = await user.PutOkAsync(encodedPath, name);
        await user.AssertDocumentAsync(encodedPath, name, "text/plain", etag);
        Assert.Equal([name], await user.ItemNamesAsync("/notes/"));
    }

    [Fact]
    public async Task Names_differing_only_in_case_normalization_or_trailing_space_are_different_documents()
    {
        var user = NewUser();
        string[] encoded = ["/notes/a", "/notes/A", "/notes/%C3%A9", "/notes/e%CC%81", "/notes/a%20"];
        var etags = new List<string>();
        foreach (var path in encoded)
        {
            using var put = await user.PutAsync(path, path);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            etags.Add(StorageTestUser.ETagOf(put)!);
        }

        for (var i = 0; i < encoded.Length; i++)
        {
            await user.AssertDocumentAsync(encoded[i], encoded[i], "text/plain", etags[i]);
        }

        Assert.Equal(
            new[] { "a", "A", "\u00E9", "e\u0301", "a " }.Order(StringComparer.Ordinal).ToArray(),
            (await user.ItemNamesAsync("/notes/")).Order(StringComparer.Ordinal).ToArray());
    }
}

public sealed class DocumentNameTests_Sqlite(SqliteServerFixture server) : DocumentNameTests(server), IClassFixture<SqliteServerFixture>;

public sealed class DocumentNameTests_Postgres(PostgresServerFixture server) : DocumentNameTests(server), IClassFixture<PostgresServerFixture>;

public sealed class DocumentNameTests_PostgresS3(PostgresS3ServerFixture server) : DocumentNameTests(server), IClassFixture<PostgresS3ServerFixture>;

[Collection(UnhostedStore.IntegrationTests.MultiInstance.TwoInstancesCollection.Name)]
public sealed class DocumentNameTests_TwoInstances(UnhostedStore.IntegrationTests.MultiInstance.PostgresS3TwoInstancesFixture server) : DocumentNameTests(server);
