using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Sharing;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Sharing.ShareHelpers;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>
/// Who gets through a share link, and until when: expiry and revocation (410 at the next
/// request), passwords and their cookie, sub-paths that try to leave the shared folder, the
/// guessing budget, other users, a leaving account, and the CLI.
/// </summary>
public abstract class ShareAccessTests(ShareServerFixture server)
{
    private const string Secret = "the secret outside the shared folder";

    [Fact]
    public async Task An_expired_link_answers_410_and_a_revoked_one_410_from_the_next_request_while_an_unknown_one_is_404()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/docs/a.txt", "a document to share for a while");
        var expiring = await ShareAsync(server, user, "docs/a.txt", days: 1);
        var revoked = await ShareAsync(server, user, "docs/");
        using var visitor = new Visitor(server);
        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(expiring)).Status);
        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(revoked + "/a.txt")).Status);

        await using (var scope = server.CreateScope())
        {
            var hash = ShareTokens.Hash(SharePaths.ParseTarget(expiring)!.Token);
            await ServerFixture.Db(scope).ShareLinks.Where(l => l.TokenHash == hash)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresUtc, DateTime.UtcNow.AddSeconds(-1)));
        }

        var (status, html) = await visitor.PageAsync(expiring);
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("It has expired.", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await visitor.GetAsync(expiring + "?handler=raw")).StatusCode);

        // Revoked: the very next request through the link is refused.
        await using (var scope = server.CreateScope())
        {
            var id = (await LinkAsync(server, revoked)).Id;
            Assert.True(await scope.ServiceProvider.GetRequiredService<ShareLinks>().RevokeAsync(user, id, CancellationToken.None));
        }

        (status, html) = await visitor.PageAsync(revoked + "/a.txt");
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("The person who shared it turned it off.", html, StringComparison.Ordinal);
        using (var raw = await visitor.GetAsync(revoked + "/a.txt?handler=raw"))
        {
            Assert.Equal(HttpStatusCode.Gone, raw.StatusCode);
            Assert.DoesNotContain("a document", await raw.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Gone, (await visitor.GetAsync(revoked + "/?handler=zip")).StatusCode);
        var unknown = await visitor.PageAsync(SharePaths.Prefix + ShareTokens.New());
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("Nothing is shared here", unknown.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_link_refuses_a_wrong_password_and_the_right_one_sets_a_link_scoped_cookie_that_opens_the_bytes()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/private/plan.txt", "the plan, protected by a password");
        var link = await ShareAsync(server, user, "private/", password: "open sesame");
        var other = await ShareAsync(server, user, "private/plan.txt", password: "another one");
        using var visitor = new Visitor(server);

        var (status, form) = await visitor.PageAsync(link + "/plan.txt");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("id=\"share-password\"", form, StringComparison.Ordinal);
        Assert.DoesNotContain("the plan", form, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await visitor.GetAsync(link + "/plan.txt?handler=raw")).StatusCode);

        using (var wrong = await visitor.SubmitAsync(form, "id=\"share-password\"", ("password", "not it")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            Assert.Contains("That password is not right.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var right = await visitor.SubmitAsync(form, "id=\"share-password\"", ("password", "open sesame")))
        {
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
            Assert.Equal(link + "/plan.txt", right.Headers.Location?.OriginalString);
            var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie"), c => c.StartsWith("us_share_", StringComparison.Ordinal));
            Assert.Contains("path=" + link + ";", cookie + ";", StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("open sesame", cookie, StringComparison.Ordinal);
        }

        Assert.Contains("the plan, protected", (await visitor.PageAsync(link + "/plan.txt")).Html, StringComparison.Ordinal);
        Assert.Equal("the plan, protected by a password", System.Text.Encoding.UTF8.GetString(await visitor.BytesAsync(link + "/plan.txt?handler=raw")));

        // The cookie is this link's only: the other link still asks for its own password.
        Assert.Contains("id=\"share-password\"", (await visitor.PageAsync(other)).Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await visitor.GetAsync(other + "?handler=raw")).StatusCode);

        // Someone else without the cookie is still asked.
        using var stranger = new Visitor(server);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync(link + "/plan.txt?handler=raw")).StatusCode);
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/%2E%2E/secret.txt")]
    [InlineData("/.%2e/secret.txt")]
    [InlineData("/%2e%2e%2fsecret.txt")]
    [InlineData("/..%2Fsecret.txt")]
    [InlineData("/inner/..%2F..%2Fsecret.txt")]
    [InlineData("/inner/../../secret.txt")]
    [InlineData("/..\\secret.txt")]
    [InlineData("/%5c..%5csecret.txt")]
    [InlineData("//secret.txt")]
    [InlineData("//..//secret.txt")]
    [InlineData("/./../secret.txt")]
    public async Task A_sub_path_never_reaches_a_document_outside_the_shared_folder(string rest)
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/secret.txt", Secret);
        await PutTextAsync(server, user, token, "/shared/inner/ok.txt", "inside the share");
        var link = await ShareAsync(server, user, "shared/");
        var ip = $"10.9.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";

        foreach (var handler in new[] { "?handler=raw", string.Empty, "?handler=zip", "?handler=thumb" })
        {
            var response = await RawHttp.SendAsync(server.BaseAddress,
                $"GET {link}{rest}{handler} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nX-Forwarded-For: {ip}\r\nConnection: close\r\n\r\n");
            Assert.True(response.Status is 400 or 404, $"{rest}{handler}: {response.StatusLine}");
            Assert.DoesNotContain("secret outside", response.BodyText, StringComparison.Ordinal);
        }

        // The share itself works: the refusals were about the paths.
        var inside = await RawHttp.SendAsync(server.BaseAddress,
            $"GET {link}/inner/ok.txt?handler=raw HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nX-Forwarded-For: {ip}\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, inside.Status);
        Assert.Equal("inside the share", inside.BodyText);
    }

    [Fact]
    public async Task Guessing_links_is_rate_limited_while_a_valid_link_from_the_same_ip_still_opens()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/g/a.txt", "a document behind a real link");
        var link = await ShareAsync(server, user, "g/a.txt");
        var locked = await ShareAsync(server, user, "g/", password: "right password");
        using var visitor = new Visitor(server);

        for (var i = 0; i < ShareServerFixture.MissBudget; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync(SharePaths.Prefix + ShareTokens.New())).StatusCode);
        }

        using (var refused = await visitor.GetAsync(SharePaths.Prefix + ShareTokens.New()))
        {
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
            Assert.True(int.Parse(Header(refused, "Retry-After")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        }

        Assert.Equal((HttpStatusCode)429, (await visitor.GetAsync(SharePaths.Prefix + "not-even-a-token?handler=raw")).StatusCode);

        // Valid links are never refused for the misses of others on the same IP.
        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(link)).Status);
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync(link + "?handler=raw")).StatusCode);

        // Wrong passwords have a budget of their own; beyond it even the right one waits.
        var form = (await visitor.PageAsync(locked)).Html;
        for (var i = 0; i < ShareServerFixture.PasswordBudget; i++)
        {
            using var wrong = await visitor.SubmitAsync(form, "id=\"share-password\"", ("password", "guess " + i));
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }

        using (var blocked = await visitor.SubmitAsync(form, "id=\"share-password\"", ("password", "right password")))
        {
            Assert.Equal((HttpStatusCode)429, blocked.StatusCode);
            Assert.Contains("Too many wrong passwords", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Another IP is not affected.
        using var neighbour = new Visitor(server);
        using (var ok = await neighbour.SubmitAsync((await neighbour.PageAsync(locked)).Html, "id=\"share-password\"", ("password", "right password")))
        {
            Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await neighbour.GetAsync(SharePaths.Prefix + ShareTokens.New())).StatusCode);
    }

    [Fact]
    public async Task Links_are_made_only_in_ones_own_storage_and_revoked_only_by_their_owner()
    {
        var (alice, aliceBrowser) = await LoggedInUserAsync(server);
        using var _ = aliceBrowser;
        var aliceToken = await server.Tokens.IssueAsync(alice, "*:rw");
        await PutTextAsync(server, alice, aliceToken, "/photos/mine.txt", "alice's own document");
        var (bob, bobBrowser) = await LoggedInUserAsync(server);
        using var __ = bobBrowser;

        // Bob names Alice's path (and even her name): the link would be in his storage, where there is nothing.
        var page = await bobBrowser.GetPageAsync("/account/shares");
        using (var refused = await bobBrowser.SubmitAsync(page, "id=\"create-share\"", ("path", "photos/mine.txt"), ("expiresDays", "7"), ("owner", alice), ("Owner", alice)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("There is nothing at /photos/mine.txt in your storage.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await using (var scope = server.CreateScope())
        {
            Assert.Equal(0, await ServerFixture.Db(scope).ShareLinks.CountAsync(l => l.Owner == alice || l.Owner == bob));
        }

        // Alice makes one on her page; Bob's revoke with its id does nothing.
        page = await aliceBrowser.GetPageAsync("/account/shares");
        string url;
        using (var created = await aliceBrowser.SubmitAsync(page, "id=\"create-share\"", ("path", "photos/mine.txt"), ("expiresDays", "30")))
        {
            var html = await created.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            url = Html.Attribute(Html.Element(html, "id=\"new-link\"", ">")!, "value")!;
        }

        Assert.StartsWith(server.BaseAddress.GetLeftPart(UriPartial.Authority) + "/s/", url, StringComparison.Ordinal);
        var row = await LinkAsync(server, new Uri(url).AbsolutePath);
        Assert.Equal(alice, row.Owner);
        Assert.NotNull(row.ExpiresUtc);
        Assert.InRange(row.ExpiresUtc!.Value, DateTime.UtcNow.AddDays(29.9), DateTime.UtcNow.AddDays(30.1));
        using (var revoke = await bobBrowser.PostAsync("/account/shares?handler=revoke", [new("id", row.Id), .. Html.HiddenInputs(Html.Form(await bobBrowser.GetPageAsync("/account/shares"), "id=\"create-share\"")).Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        Assert.Null((await LinkAsync(server, new Uri(url).AbsolutePath)).RevokedUtc);
        using var visitor = new Visitor(server);
        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(new Uri(url).AbsolutePath)).Status);

        // Alice's page lists it with a Revoke button (antiforgery); her revoke ends it.
        var list = await aliceBrowser.GetPageAsync("/account/shares");
        var tableRow = Html.Element(list, $"data-share=\"{row.Id}\"", "</tr>")!;
        Assert.Contains("/photos/mine.txt", tableRow, StringComparison.Ordinal);
        Assert.Contains("Active", tableRow, StringComparison.Ordinal);
        using (var revoke = await aliceBrowser.SubmitAsync(tableRow, "name=\"id\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Gone, (await visitor.PageAsync(new Uri(url).AbsolutePath)).Status);
        Assert.Contains("Revoked", Html.Element(await aliceBrowser.GetPageAsync("/account/shares"), $"data-share=\"{row.Id}\"", "</tr>")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_leaving_accounts_links_stop_at_once_and_its_erasure_deletes_them()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/notes/n.txt", "a note of a leaving account");
        var link = await ShareAsync(server, user, "notes/");
        var other = ServerFixture.NewUser();
        await PutTextAsync(server, other, await server.Tokens.IssueAsync(other, "*:rw"), "/notes/n.txt", "a note of someone staying");
        var otherLink = await ShareAsync(server, other, "notes/n.txt");
        using var visitor = new Visitor(server);
        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(link + "/n.txt")).Status);

        await using (var scope = server.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccountDeletions>().ScheduleAsync(user, eraseNow: false, CancellationToken.None);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await visitor.PageAsync(link + "/n.txt")).Status);
        using (var raw = await visitor.GetAsync(link + "/n.txt?handler=raw"))
        {
            Assert.Equal(HttpStatusCode.NotFound, raw.StatusCode);
            Assert.DoesNotContain("leaving account", await raw.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(otherLink)).Status);

        await using (var scope = server.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccountDeletions>().ScheduleAsync(user, eraseNow: true, CancellationToken.None);
        }

        await Poll.UntilAsync(
            async () =>
            {
                await using var scope = server.CreateScope();
                return await ServerFixture.Db(scope).ShareLinks.CountAsync(l => l.Owner == user);
            },
            n => n == 0,
            TimeSpan.FromSeconds(60),
            "the erasure to delete the links");
        Assert.Equal(HttpStatusCode.OK, (await visitor.PageAsync(otherLink)).Status);
    }

    [Fact]
    public async Task The_cli_creates_lists_and_revokes_links()
    {
        var (user, token) = await OwnerAsync();
        await PutTextAsync(server, user, token, "/cli/doc.txt", "shared by the operator's command");
        var created = await CliRunner.RunAsync(server, "a password\n", "shares", "create", user, "cli/doc.txt", "--expires", "3", "--password-stdin");
        Assert.True(created.ExitCode == 0, created.ToString());
        var url = created.Stdout.Trim();
        Assert.Matches("^/s/[A-Za-z0-9_-]{43}$", url);
        var row = await LinkAsync(server, url);
        Assert.Equal("/cli/doc.txt", row.Path);
        Assert.NotNull(row.PasswordHash);
        Assert.InRange(row.ExpiresUtc!.Value, DateTime.UtcNow.AddDays(2.9), DateTime.UtcNow.AddDays(3.1));

        var listed = await CliRunner.RunAsync(server, null, "shares", "list", user);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var line = Assert.Single(listed.Stdout.Split('\n'), l => l.StartsWith(row.Id, StringComparison.Ordinal));
        Assert.Contains("active,password", line, StringComparison.Ordinal);
        Assert.EndsWith("/cli/doc.txt", line.TrimEnd(), StringComparison.Ordinal);

        var revoked = await CliRunner.RunAsync(server, null, "shares", "revoke", user, server.BaseAddress.GetLeftPart(UriPartial.Authority) + url);
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        using var visitor = new Visitor(server);
        Assert.Equal(HttpStatusCode.Gone, (await visitor.PageAsync(url)).Status);
        var again = await CliRunner.RunAsync(server, null, "shares", "revoke", user, row.Id);
        Assert.Equal(1, again.ExitCode);
        var missing = await CliRunner.RunAsync(server, null, "shares", "create", user, "cli/none.txt");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("There is nothing at /cli/none.txt", missing.Stderr, StringComparison.Ordinal);
    }

    private async Task<(string User, string Token)> OwnerAsync()
    {
        var user = ServerFixture.NewUser();
        return (user, await server.Tokens.IssueAsync(user, "*:rw"));
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch, and each run of them costs a server and
// real processes; the storage contract classes cover all three combinations.
public sealed class ShareAccessTests_Sqlite(ShareSqliteFixture server) : ShareAccessTests(server), IClassFixture<ShareSqliteFixture>;

public sealed class ShareAccessTests_PostgresS3(SharePostgresS3Fixture server) : ShareAccessTests(server), IClassFixture<SharePostgresS3Fixture>;
