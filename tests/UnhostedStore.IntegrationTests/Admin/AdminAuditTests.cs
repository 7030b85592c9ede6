using System.Net;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.IntegrationTests.Activity;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Security;
using UnhostedStore.Persistence;
using static UnhostedStore.IntegrationTests.Admin.AdminPages;

namespace UnhostedStore.IntegrationTests.Admin;

/// <summary>
/// Every change an administrator makes on the admin pages is in the audit log (ASVS V7.1.3):
/// recorded as <c>admin:&lt;name&gt;</c>, about the account
/// it changed (or none, for server-wide settings and invites), and shown on <c>/admin/audit</c> as
/// the administrator's. A change that did not happen (already disabled) records nothing.
/// </summary>
public abstract class AdminAuditTests(SecurityServerFixture server)
{
    [Fact]
    public async Task Changes_to_an_account_on_the_admin_pages_are_recorded_as_the_administrators_and_shown_on_the_audit_page()
    {
        var (adminName, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var user = ServerFixture.NewUser();
        var app = await Browser.IssueAsync(server, user, App, 30, "notes:rw");

        await ConfirmedAsync(admin, user, "disable");
        await ConfirmedAsync(admin, user, "disable");
        await ConfirmedAsync(admin, user, "enable");
        await ConfirmedAsync(admin, user, "promote");
        await ConfirmedAsync(admin, user, "demote");
        await ConfirmedAsync(admin, user, "reset-2fa");

        var page = await admin.GetPageAsync(UserPath(user));
        using (var quota = await admin.SubmitAsync(page, "id=\"quota\"", ("choice", "own"), ("size", "1K")))
        {
            Assert.Equal(HttpStatusCode.Redirect, quota.StatusCode);
        }

        using (var revoke = await admin.SubmitAsync(await admin.GetPageAsync(UserPath(user)), $"value=\"{app.AuthorizationId}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        }

        using (var link = await admin.SubmitAsync(await admin.GetPageAsync(UserPath(user) + "/password"), "id=\"make-link\""))
        {
            Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        }

        await ConfirmedAsync(admin, user, "delete");

        var events = await Audit.EventsAsync(server, user);
        string[] expected =
        [
            "admin.user_disabled", "admin.user_enabled", "admin.rights_granted", "admin.rights_removed", "admin.2fa_reset",
            "admin.quota_set", "grant.revoked", "admin.reset_link_created", "account.deletion_requested",
        ];
        var byAdmin = events.Where(e => e.Actor == AuditActor.AdminPrefix + adminName).ToList();
        Assert.Equal(expected, byAdmin.Select(e => AuditKinds.Code(e.Kind)));
        Assert.All(byAdmin, e =>
        {
            Assert.Equal(user, e.UserName);
            Assert.NotNull(e.UserId);
            Assert.False(string.IsNullOrEmpty(e.Detail));
        });
        Assert.Contains("1024 bytes", byAdmin.Single(e => e.Kind == AuditKind.AdminQuotaSet).Detail, StringComparison.Ordinal);
        Assert.Contains(App, byAdmin.Single(e => e.Kind == AuditKind.GrantRevoked).Detail, StringComparison.Ordinal);

        // The second "disable" changed nothing, and so recorded nothing.
        Assert.Single(events, e => e.Kind == AuditKind.AdminUserDisabled);

        var shown = await admin.GetPageAsync("/admin/audit?kind=admin&user=" + user);
        Assert.Equal(
            ["admin.reset_link_created", "admin.quota_set", "admin.2fa_reset", "admin.rights_removed", "admin.rights_granted", "admin.user_enabled", "admin.user_disabled"],
            Audit.ShownKinds(shown));
        Assert.Contains("Account disabled by the administrator", shown, StringComparison.Ordinal);
        Assert.Contains("Administrator rights removed", shown, StringComparison.Ordinal);
        Assert.Contains(">Administrator " + adminName + "<", shown, StringComparison.Ordinal);
        var accountEvents = await admin.GetPageAsync("/admin/audit?kind=account&user=" + user);
        Assert.Contains("account.deletion_requested", Audit.ShownKinds(accountEvents));
        Assert.Contains(">Administrator " + adminName + "<", accountEvents, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invites_and_the_sign_up_policy_changed_on_the_admin_pages_are_recorded_without_an_account()
    {
        var (adminName, admin) = await LoggedInAdminAsync(server);
        using var _ = admin;
        var before = (await Audit.AllEventsAsync(server)).Select(e => e.Id).DefaultIfEmpty().Max();

        using (var set = await admin.SubmitAsync(await admin.GetPageAsync("/admin/settings"), "id=\"signup-form\"", ("policyName", "invite")))
        {
            Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        }

        string link;
        using (var made = await admin.SubmitAsync(await admin.GetPageAsync("/admin/invites"), "id=\"create-invite\""))
        {
            link = new Uri(Html.Attribute(Html.Element(await made.Content.ReadAsStringAsync(), "id=\"invite-link\"", ">")!, "value")!).PathAndQuery;
        }

        var token = Uri.UnescapeDataString(link[(link.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
        using (var withdrawn = await admin.SubmitAsync(await admin.GetPageAsync("/admin/invites"), $"value=\"{id}\""))
        {
            Assert.Equal(HttpStatusCode.Redirect, withdrawn.StatusCode);
        }

        using (var again = await admin.SubmitAsync(await admin.GetPageAsync("/admin/settings"), "id=\"two-factor-form\"", ("required", "off")))
        {
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        }

        var events = (await Audit.AllEventsAsync(server)).Where(e => e.Id > before && e.Actor == AuditActor.AdminPrefix + adminName).ToList();
        Assert.Equal(
            ["admin.setting_changed", "admin.invite_created", "admin.invite_revoked", "admin.setting_changed"],
            events.Select(e => AuditKinds.Code(e.Kind)));
        Assert.All(events, e => Assert.Null(e.UserName));
        Assert.Contains("by invitation", events[0].Detail, StringComparison.Ordinal);
        Assert.Contains("optional", events[3].Detail, StringComparison.Ordinal);

        var shown = await admin.GetPageAsync("/admin/audit?kind=admin");
        Assert.Contains("Invite link withdrawn", shown, StringComparison.Ordinal);
        Assert.Contains("Server setting changed", shown, StringComparison.Ordinal);
        foreach (var e in events)
        {
            Assert.Contains($"data-event=\"{e.Id}\"", shown, StringComparison.Ordinal);
        }
    }
}

public sealed class AdminAuditTests_Sqlite(AdminSqliteFixture server) : AdminAuditTests(server), IClassFixture<AdminSqliteFixture>;

public sealed class AdminAuditTests_Postgres(AdminPostgresFixture server) : AdminAuditTests(server), IClassFixture<AdminPostgresFixture>;
