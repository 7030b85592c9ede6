using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// The server always keeps an admin who can log in: the last one can't be demoted, disabled or
/// deleted, not even by two admins demoting each other at the same moment. A server of its own,
/// so that no admin of another test counts.
/// </summary>
public abstract class AdminLastAdminTests(SecurityServerFixture server)
{
    [Fact]
    public async Task The_last_active_admin_can_be_neither_demoted_nor_disabled_nor_deleted()
    {
        var (first, firstBrowser) = await LoggedInAdminAsync(server);
        using var _ = firstBrowser;
        var (second, secondBrowser) = await LoggedInAdminAsync(server);
        using var __ = secondBrowser;
        await DemoteAllOthersAsync(first, second);

        // With two, one may go (and is logged out at once).
        await ConfirmedAsync(firstBrowser, second, "disable");
        using (var gone = await secondBrowser.GetAsync("/admin"))
        {
            Assert.Equal(HttpStatusCode.Redirect, gone.StatusCode);
            Assert.StartsWith("/login", gone.Headers.Location!.PathAndQuery(), StringComparison.Ordinal);
        }

        using (var refused = await ConfirmAsync(firstBrowser, first, "demote", ("ConfirmSelf", "true")))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("This is the last administrator who can log in.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True((await AccountAsync(server, first)).IsAdmin);
        await using (var scope = server.CreateScope())
        {
            Assert.Equal(AdminChange.LastAdmin, await scope.ServiceProvider.GetRequiredService<AccountDisabling>().DisableAsync(first, CancellationToken.None));
            Assert.True(await AdminRights.IsLastActiveAdminAsync(ServerFixture.Db(scope), first, CancellationToken.None));
        }

        Assert.Null((await AccountAsync(server, first)).DisabledUtc);

        // A disabled admin is no admin to count on; enabled again, either may go.
        await ConfirmedAsync(firstBrowser, second, "enable");
        await secondBrowser.LoginAsync(second, Password);
        await ConfirmedAsync(secondBrowser, first, "demote");
        Assert.False((await AccountAsync(server, first)).IsAdmin);
        using (var refused = await ConfirmAsync(secondBrowser, second, "demote", ("ConfirmSelf", "true")))
        {
            Assert.Contains("This is the last administrator who can log in.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_admins_demoting_each_other_at_the_same_moment_leave_one_admin()
    {
        var a = ServerFixture.NewUser();
        var b = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, a, Password, isAdmin: true);
        await Browser.CreateAccountAsync(server, b, Password, isAdmin: true);
        await DemoteAllOthersAsync(a, b);

        var results = await Task.WhenAll(new[] { a, b }.Select(async name =>
        {
            await using var scope = server.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<AdminRights>().SetAdminAsync(name, false, CancellationToken.None);
        }));

        Assert.Single(results, r => r == AdminChange.Done);
        Assert.Single(results, r => r == AdminChange.LastAdmin);
        Assert.NotEqual((await AccountAsync(server, a)).IsAdmin, (await AccountAsync(server, b)).IsAdmin);
    }

    /// <summary>Leaves <paramref name="keep"/> as the only admins of this server.</summary>
    private async Task DemoteAllOthersAsync(params string[] keep)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        foreach (var name in db.Users.Where(u => u.IsAdmin).Select(u => u.UserName!).ToList().Except(keep))
        {
            Assert.Equal(AdminChange.Done, await scope.ServiceProvider.GetRequiredService<AdminRights>().SetAdminAsync(name, false, CancellationToken.None));
        }
    }
}

public sealed class AdminLastAdminTests_Sqlite(AdminSqliteFixture server) : AdminLastAdminTests(server), IClassFixture<AdminSqliteFixture>;

public sealed class AdminLastAdminTests_Postgres(AdminPostgresFixture server) : AdminLastAdminTests(server), IClassFixture<AdminPostgresFixture>;
