using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>One account's storage and apps on its admin page: quota, connected apps, tokens.</summary>
public abstract partial class AdminUserTests
{
    [Fact]
    public async Task A_quota_set_on_the_users_page_holds_at_the_next_write_and_default_undoes_it()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        var token = await server.Tokens.IssueAsync(user, "notes:rw");

        var page = await admin.GetPageAsync(UserPath(user));
        using (var bad = await admin.SubmitAsync(page, "id=\"quota\"", ("choice", "own"), ("size", "lots")))
        {
            Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
            Assert.Contains("That is not a size", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var set = await admin.SubmitAsync(page, "id=\"quota\"", ("choice", "own"), ("size", "1K")))
        {
            Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        }

        Assert.Contains("data-quota=\"1024\"", await admin.GetPageAsync(UserPath(user)), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.InsufficientStorage, await AccountTestHelpers.PutAsync(server, user, token, "/notes/big", 2048));

        using (var back = await admin.SubmitAsync(await admin.GetPageAsync(UserPath(user)), "id=\"quota\"", ("choice", "default")))
        {
            Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, await AccountTestHelpers.PutAsync(server, user, token, "/notes/big", 2048));
    }

    [Fact]
    public async Task The_users_connected_apps_are_listed_and_revoking_one_refuses_its_token_at_the_next_request()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        var first = await Browser.IssueAsync(server, user, "https://first.example", 30, "notes:rw");
        var second = await Browser.IssueAsync(server, user, "https://second.example", 0, "contacts:r");
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(server, user, first.AccessToken));

        var page = await admin.GetPageAsync(UserPath(user));
        var row = Html.Element(page, $"data-grant=\"{first.AuthorizationId}\"", "</tr>")!;
        Assert.Contains("https://first.example", row, StringComparison.Ordinal);
        Assert.Contains("notes (read and write)", row, StringComparison.Ordinal);
        Assert.Contains("contacts (read only)", Html.Element(page, $"data-grant=\"{second.AuthorizationId}\"", "</tr>")!, StringComparison.Ordinal);

        using (var revoke = await admin.SubmitAsync(page, $"value=\"{first.AuthorizationId}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ReadAsync(server, user, first.AccessToken));
        page = await admin.GetPageAsync(UserPath(user));
        Assert.DoesNotContain(first.AuthorizationId, page, StringComparison.Ordinal);
        Assert.Contains(second.AuthorizationId, page, StringComparison.Ordinal);

        using (var all = await admin.SubmitAsync(page, "id=\"revoke-all\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, all.StatusCode);
        }

        await using var scope = server.CreateScope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None));
    }

    [Fact]
    public async Task A_token_made_on_the_admin_pages_works_shows_among_the_apps_and_is_refused_for_a_disabled_account()
    {
        var (_, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);

        var form = await admin.GetPageAsync(UserPath(user) + "/token");
        using (var bad = await admin.SubmitAsync(form, "id=\"token-form\"", ("Scope", "Notes:RW!"), ("Days", "30")))
        {
            Assert.Contains("Write the access as module:r or module:rw", Html.Text(await bad.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        using var issued = await admin.SubmitAsync(form, "id=\"token-form\"", ("Scope", "notes:rw"), ("Origin", "https://script.example"), ("Days", "1"));
        var body = await issued.Content.ReadAsStringAsync();
        Assert.True(issued.Headers.CacheControl?.NoStore);
        var token = Html.Attribute(Html.Element(body, "id=\"issued-token\"", ">")!, "value")!;
        Assert.Equal(HttpStatusCode.Created, await WriteAsync(server, user, token, "from-a-script"));
        Assert.Equal(HttpStatusCode.Forbidden, await AccountTestHelpers.PutAsync(server, user, token, "/contacts/x", 8));
        Assert.Contains("https://script.example", Html.Element(await admin.GetPageAsync(UserPath(user)), "id=\"apps\"", "</table>"), StringComparison.Ordinal);

        await ConfirmedAsync(admin, user, "disable");
        using var refused = await admin.SubmitAsync(await admin.GetPageAsync(UserPath(user) + "/token"), "id=\"token-form\"", ("Scope", "notes:rw"), ("Days", "1"));
        Assert.Contains("is disabled: no token can be issued", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The refused attempt left no grant behind: only the first one, set aside.
        await using var scope = server.CreateScope();
        Assert.Equal(1, await AccountGrants.CountAsync(ServerFixture.Db(scope), user, CancellationToken.None));
    }
}
