using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Files.FilesHelpers;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>
/// Deleting from the file browser: a confirmation that says what goes and where it goes
/// (the trash, for as long as versions are kept), then the ordinary delete path, so the
/// documents are in the trash; a folder goes a batch at a time; a document changed since the
/// confirmation is kept.
/// </summary>
public abstract class FilesDeleteTests(ServerFixture server)
{
    [Fact]
    public async Task A_document_deleted_after_the_confirmation_is_in_the_trash()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await SeedAsync(server, user, [("/notes/todo.txt", Encoding.UTF8.GetBytes("buy milk and bread"), "text/plain"), ("/notes/keep.txt", Encoding.UTF8.GetBytes("keep"), "text/plain")]);
        var list = await browser.GetPageAsync("/files?path=/notes/");
        Assert.Contains("href=\"/files/delete?path=/notes/todo.txt\"", list, StringComparison.Ordinal);
        Assert.Contains("Deleted documents are kept in the trash for 30 days", list, StringComparison.Ordinal);

        var confirm = await browser.GetPageAsync("/files/delete?path=/notes/todo.txt");
        Assert.Contains("This deletes <span class=\"origin\">/notes/todo.txt</span> (18 bytes)", confirm, StringComparison.Ordinal);
        Assert.Contains("href=\"/account/history\"", confirm, StringComparison.Ordinal);
        using (var deleted = await browser.SubmitAsync(confirm, "id=\"delete-form\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
            Assert.Equal("/files?path=/notes/", deleted.Headers.Location!.OriginalString);
        }

        var after = await browser.GetPageAsync("/files?path=/notes/");
        Assert.Contains("Deleted todo.txt.", after, StringComparison.Ordinal);
        Assert.DoesNotContain("data-path=\"/notes/todo.txt\"", after, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/notes/keep.txt\"", after, StringComparison.Ordinal);

        var trash = await TrashAsync(user, "/notes/");
        var item = Assert.Single(trash);
        Assert.Equal("/notes/todo.txt", item.Path.Value);
        Assert.Equal("Files page", item.DeletedBy);
        Assert.Equal(18, item.ContentLength);
    }

    [Fact]
    public async Task A_document_changed_after_the_confirmation_was_shown_is_kept()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await SeedAsync(server, user, [("/notes/todo.txt", Encoding.UTF8.GetBytes("version one"), "text/plain")]);
        var confirm = await browser.GetPageAsync("/files/delete?path=/notes/todo.txt");
        await SeedAsync(server, user, [("/notes/todo.txt", Encoding.UTF8.GetBytes("version two, written by an app meanwhile"), "text/plain")]);
        using (var refused = await browser.SubmitAsync(confirm, "id=\"delete-form\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        }

        var after = await browser.GetPageAsync("/files?path=/notes/");
        Assert.Contains("was changed since you asked to delete it, so it was kept", after, StringComparison.Ordinal);
        using var raw = await browser.GetAsync("/files/bytes?path=/notes/todo.txt");
        Assert.Equal("version two, written by an app meanwhile", await raw.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_folder_is_deleted_a_batch_at_a_time_with_every_document_in_the_trash()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var count = UnhostedStore.Pages.Files.DeleteModel.BatchSize + 120;
        var documents = Enumerable.Range(0, count).Select(i => ($"/album/disc {i % 3}/track {i:D4}.txt", Encoding.UTF8.GetBytes($"t{i}"), "text/plain")).ToList();
        documents.Add(("/albumish/not-inside.txt", Encoding.UTF8.GetBytes("stays"), "text/plain"));
        await SeedAsync(server, user, documents, parallel: 32);

        var confirm = await browser.GetPageAsync("/files/delete?path=/album/");
        Assert.Contains($"<strong>{count:N0} documents</strong>", confirm, StringComparison.Ordinal);
        using (var deleted = await browser.SubmitAsync(confirm, "id=\"delete-form\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
            Assert.Equal("/files", deleted.Headers.Location!.OriginalString);
        }

        var root = await browser.GetPageAsync("/files");
        Assert.Contains($"Deleted {count:N0} documents from album.", root, StringComparison.Ordinal);
        Assert.DoesNotContain("data-path=\"/album/\"", root, StringComparison.Ordinal);
        Assert.Contains("data-path=\"/albumish/\"", root, StringComparison.Ordinal);
        Assert.Equal(count, (await TrashAsync(user, "/album/")).Count);
        await using var scope = server.CreateScope();
        Assert.False(await ServerFixture.Db(scope).Nodes.AnyAsync(n => n.Owner == user && n.Path.StartsWith("/album/")));
    }

    [Fact]
    public async Task The_root_cannot_be_deleted_and_a_missing_path_says_so()
    {
        var (_, browser) = await LoggedInUserAsync(server);
        using var _b = browser;
        using var root = await browser.GetAsync("/files/delete?path=/");
        Assert.Equal(HttpStatusCode.BadRequest, root.StatusCode);
        Assert.Contains("the whole storage can", WebUtility.HtmlDecode(await root.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        using var missing = await browser.GetAsync("/files/delete?path=/nothing/here.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("id=\"nothing\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<TrashItem>> TrashAsync(string user, string folder)
    {
        await using var scope = server.CreateScope();
        Assert.True(StoragePath.TryParse(folder, out var path).Success);
        return await scope.ServiceProvider.GetRequiredService<DocumentHistory>().ListTrashAsync(user, path!);
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class FilesDeleteTests_Sqlite(SqliteServerFixture server) : FilesDeleteTests(server), IClassFixture<SqliteServerFixture>;

public sealed class FilesDeleteTests_PostgresS3(PostgresS3ServerFixture server) : FilesDeleteTests(server), IClassFixture<PostgresS3ServerFixture>;
