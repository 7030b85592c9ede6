using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;
using UnhostedStore.Authorization;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>
/// Leaving for good: /account/delete disables the account at once (tokens, login, public
/// documents), login offers to cancel within the grace period, and the erasure removes every
/// row and blob of the user, in batches that survive being stopped half-way.
/// </summary>
public abstract class AccountDeletionTests(DeletionServerFixture server)
{
    private const string Note = "a note longer than the inline limit";

    [Fact]
    public async Task Deleting_on_the_page_refuses_the_users_cached_token_and_public_documents_at_once_and_leaves_others_alone()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await SeedAsync(user);
        var other = ServerFixture.NewUser();
        var otherToken = await SeedAsync(other);

        var form = await browser.GetPageAsync("/account/delete");
        Assert.Contains("href=\"/account/export\"", form, StringComparison.Ordinal);
        Assert.Contains("After 7 days", form, StringComparison.Ordinal);
        using (var wrong = await browser.SubmitAsync(form, "id=\"delete\"", ("Password", "not the password")))
        {
            var page = await wrong.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("That password is not right. Nothing was deleted.", page, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, user, token, "/notes/a"));

        using (var right = await browser.SubmitAsync(form, "id=\"delete\"", ("Password", Password)))
        {
            var page = await right.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            Assert.Contains("id=\"scheduled\"", page, StringComparison.Ordinal);
            Assert.Contains("Everything will be erased for good on", page, StringComparison.Ordinal);
        }

        // The token was validated a moment ago (cached): refused at the very next request.
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, token, "/notes/a"));
        Assert.Equal(HttpStatusCode.Unauthorized, await PutTextAsync(user, token, "/notes/b", Note));
        Assert.Equal(HttpStatusCode.NotFound, await GetPublicAsync(user, "/public/notes/p"));

        // This browser is logged out, and the account page needs a login again.
        using (var account = await browser.GetAsync("/account"))
        {
            Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
        }

        // Nothing is erased yet, and the other user works as before.
        await using (var scope = server.CreateScope())
        {
            Assert.Equal(3, await ServerFixture.Db(scope).Nodes.CountAsync(n => n.Owner == user && !n.IsFolder));
        }

        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, other, otherToken, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await GetPublicAsync(other, "/public/notes/p"));
    }

    [Fact]
    public async Task Login_says_when_the_account_will_be_erased_and_cancelling_brings_back_login_tokens_and_public_documents()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await SeedAsync(user);
        await ScheduleAsync(user);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, token, "/notes/a"));

        // A wrong password learns nothing about the deletion.
        using var fresh = new Browser(server);
        using (var wrong = await fresh.TryLoginAsync(user, "not the password"))
        {
            var page = await wrong.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("The user name or password is not right.", page, StringComparison.Ordinal);
            Assert.DoesNotContain("pending-deletion", page, StringComparison.Ordinal);
        }

        string pending;
        using (var right = await fresh.TryLoginAsync(user, Password))
        {
            pending = await right.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }

        Assert.Contains("id=\"pending-deletion\"", pending, StringComparison.Ordinal);
        Assert.Contains("Everything will be erased for good on", pending, StringComparison.Ordinal);
        Assert.Contains(DateTime.UtcNow.AddDays(7).ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), pending, StringComparison.Ordinal);

        // Not logged in by that.
        using (var account = await fresh.GetAsync("/account"))
        {
            Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
        }

        using (var cancel = await fresh.SubmitAsync(pending, "id=\"cancel-deletion\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, cancel.StatusCode);
            Assert.Equal("/account", cancel.Headers.Location?.OriginalString);
        }

        var welcome = await fresh.GetPageAsync("/account");
        Assert.Contains("Your account is no longer being deleted.", welcome, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, user, token, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await GetPublicAsync(user, "/public/notes/p"));
        Assert.Equal(HttpStatusCode.Created, await PutTextAsync(user, token, "/notes/b", Note));
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        Assert.False(await db.AccountDeletions.AnyAsync(d => d.UserName == user));
        Assert.Equal([OpenIddict.Abstractions.OpenIddictConstants.Statuses.Valid], await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Where(a => a.Subject == user).Select(a => a.Status).ToListAsync());
    }

    [Fact]
    public async Task After_the_grace_period_the_job_leaves_no_row_and_no_blob_of_the_user_and_every_other_users_data()
    {
        var user = ServerFixture.NewUser();
        var token = await SeedAsync(user);
        var other = ServerFixture.NewUser();
        var otherToken = await SeedAsync(other);
        var (userBlobs, otherBlobs) = (await BlobKeysAsync(user), await BlobKeysAsync(other));

        // Three documents and two retained versions (an overwrite's and a deletion's).
        Assert.Equal(5, userBlobs.Count);
        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            var grant = await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Where(a => a.Subject == user).Select(a => a.Id!).FirstAsync();
            db.GrantUsage.Add(new GrantUsage { AuthorizationId = grant, LastUsedUtc = DateTime.UtcNow });
            db.Invites.Add(new Invite { TokenHash = "h" + user, CreatedBy = user, CreatedUtc = DateTime.UtcNow, ExpiresUtc = DateTime.UtcNow.AddDays(7) });
            await db.SaveChangesAsync();
        }

        await ScheduleAsync(user);

        // Within the grace period the job erases nothing.
        Assert.Equal(0, await RunJobAsync());
        await using (var scope = server.CreateScope())
        {
            Assert.Equal(3, await ServerFixture.Db(scope).Nodes.CountAsync(n => n.Owner == user && !n.IsFolder));
        }

        await EndGracePeriodAsync(user);
        Assert.Equal(1, await RunJobAsync());

        await AssertErasedAsync(user, userBlobs);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(server, user, token, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(server, other, otherToken, "/notes/a"));
        Assert.Equal(HttpStatusCode.OK, await GetPublicAsync(other, "/public/notes/p"));
        var stored = await server.StoredBlobKeysAsync();
        Assert.All(otherBlobs, key => Assert.Contains(key, stored));
    }

    [Fact]
    public async Task An_erasure_stopped_after_one_batch_cannot_be_cancelled_is_not_taken_by_a_second_eraser_while_leased_and_completes_when_resumed()
    {
        var user = ServerFixture.NewUser();
        var token = await SeedAsync(user);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Created, await PutTextAsync(user, token, $"/notes/more/{i}", Note));
        }

        // A restored version: the document and the version row name the same blob, which the
        // erasure deletes only once neither row is left.
        await using (var scope = server.CreateScope())
        {
            var history = scope.ServiceProvider.GetRequiredService<DocumentHistory>();
            var trashed = Assert.Single(await history.ListTrashAsync(user, StoragePath.Root));
            Assert.Equal(RestoreStatus.Restored, (await history.RestoreVersionAsync(user, trashed.VersionId, HistoryLabels.AccountPage)).Status);
        }

        var blobs = await BlobKeysAsync(user);
        Assert.Equal(9, blobs.Count);
        await ScheduleAsync(user);
        await EndGracePeriodAsync(user);

        await using (var scope = server.CreateScope())
        {
            var first = scope.ServiceProvider.GetRequiredService<AccountEraser>();
            first.Owner = "first eraser";
            first.BatchSize = 4;
            Assert.Equal(user, await first.ClaimNextAsync(CancellationToken.None));
            Assert.False(await first.EraseAsync(user, progress: null, stopAfterBatches: 1, CancellationToken.None));
        }

        // Stopped right after a batch's commit, before its blobs were deleted: the keys are recorded.
        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            var deletion = await db.AccountDeletions.AsNoTracking().SingleAsync(d => d.UserName == user);
            Assert.Equal(AccountDeletionState.Erasing, deletion.State);
            Assert.False(string.IsNullOrEmpty(deletion.PendingBlobKeys));
            Assert.All(deletion.PendingBlobKeys!.Split('\n'), key => Assert.Contains(key, blobs));
            var left = await db.Nodes.CountAsync(n => n.Owner == user);
            Assert.InRange(left, 1, 20);
            Assert.Equal(CancelResult.AlreadyErasing, await scope.ServiceProvider.GetRequiredService<AccountDeletions>().CancelAsync(user, CancellationToken.None));

            // Another instance keeps off while the first one's lease runs.
            var second = scope.ServiceProvider.GetRequiredService<AccountEraser>();
            second.Owner = "second eraser";
            Assert.False(await second.TryClaimAsync(user, CancellationToken.None));

            // The first one was killed: its lease runs out.
            await db.AccountDeletions.Where(d => d.UserName == user).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntilUtc, DateTime.UtcNow.AddMinutes(-1)));
        }

        await using (var scope = server.CreateScope())
        {
            var second = scope.ServiceProvider.GetRequiredService<AccountEraser>();
            second.Owner = "second eraser";
            second.BatchSize = 4;
            Assert.Equal(1, await second.RunDueAsync(CancellationToken.None));
        }

        await AssertErasedAsync(user, blobs);
    }

    private async Task<string> SeedAsync(string user)
    {
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await PutTextAsync(user, token, "/notes/a", Note));
        Assert.Equal(HttpStatusCode.Created, await PutTextAsync(user, token, "/notes/sub/b", Note + " b"));
        Assert.Equal(HttpStatusCode.Created, await PutTextAsync(user, token, "/public/notes/p", Note + " public"));
        Assert.Equal(HttpStatusCode.OK, await GetPublicAsync(user, "/public/notes/p"));

        // History and trash, erased with everything else.
        Assert.Equal(HttpStatusCode.OK, await PutTextAsync(user, token, "/notes/a", Note + " again"));
        Assert.Equal(HttpStatusCode.Created, await PutTextAsync(user, token, "/notes/trashed", Note + " trashed"));
        using (var delete = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/storage/{user}/notes/trashed").WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        return token;
    }

    private async Task ScheduleAsync(string user)
    {
        await using var scope = server.CreateScope();
        var deletion = await scope.ServiceProvider.GetRequiredService<AccountDeletions>().ScheduleAsync(user, eraseNow: false, CancellationToken.None);
        Assert.Equal(AccountDeletionState.Pending, deletion.State);
    }

    /// <summary>What the passing of <c>Accounts:DeletionGraceDays</c> does to a deletion.</summary>
    private async Task EndGracePeriodAsync(string user)
    {
        await using var scope = server.CreateScope();
        await ServerFixture.Db(scope).AccountDeletions.Where(d => d.UserName == user)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.EraseAfterUtc, DateTime.UtcNow.AddMinutes(-1)));
    }

    private async Task<int> RunJobAsync()
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<AccountEraser>().RunDueAsync(CancellationToken.None);
    }

    /// <summary>The blobs the user's documents and retained versions name.</summary>
    private async Task<List<string>> BlobKeysAsync(string user)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        var keys = await db.Nodes.Where(n => n.Owner == user && n.BlobKey != null).Select(n => n.BlobKey!).ToListAsync();
        keys.AddRange(await db.DocumentVersions.Where(v => v.Owner == user && v.BlobKey != null).Select(v => v.BlobKey!).ToListAsync());
        return keys.Distinct(StringComparer.Ordinal).ToList();
    }

    private async Task AssertErasedAsync(string user, List<string> blobs)
    {
        await using (var scope = server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            Assert.Equal(0, await db.Nodes.CountAsync(n => n.Owner == user));
            Assert.Equal(0, await db.DocumentVersions.CountAsync(v => v.Owner == user));
            Assert.Equal(0, await db.Accounts.CountAsync(a => a.UserName == user));
            Assert.Equal(0, await db.ModuleUsage.CountAsync(m => m.Owner == user));
            Assert.Equal(0, await db.Invites.CountAsync(i => i.CreatedBy == user || i.UsedBy == user));
            Assert.Equal(0, await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().CountAsync(a => a.Subject == user));
            Assert.Equal(0, await db.Set<OpenIddictEntityFrameworkCoreToken>().CountAsync(t => t.Subject == user));
            Assert.Equal(0, await db.AccountDeletions.CountAsync(d => d.UserName == user));
            Assert.Equal(0, await db.Users.CountAsync(u => u.UserName == user));
            var usage = await db.GrantUsage.Select(u => u.AuthorizationId).ToListAsync();
            var granted = await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Select(a => a.Id!).ToListAsync();
            Assert.All(usage, id => Assert.Contains(id, granted));
        }

        // The blob store itself, listed (on S3 the bucket, through IBlobStore.ListAsync).
        var stored = await server.StoredBlobKeysAsync();
        Assert.All(blobs, key => Assert.DoesNotContain(key, stored));
    }

    private async Task<HttpStatusCode> PutTextAsync(string user, string token, string path, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}")
        {
            Content = new StringContent(text, Encoding.UTF8, "text/plain"),
        }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> GetPublicAsync(string user, string path)
    {
        using var response = await server.Client.GetAsync($"/storage/{user}{path}");
        return response.StatusCode;
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class AccountDeletionTests_Sqlite(DeletionSqliteFixture server) : AccountDeletionTests(server), IClassFixture<DeletionSqliteFixture>;

public sealed class AccountDeletionTests_PostgresS3(DeletionPostgresS3Fixture server) : AccountDeletionTests(server), IClassFixture<DeletionPostgresS3Fixture>;
