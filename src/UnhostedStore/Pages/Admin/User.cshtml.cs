using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// One account for an admin: its state, how it logs in, its storage and quota, and its connected
/// apps (revocable here, as on the person's own account page). Changes that need a fresh login
/// and a confirmation (disable, delete, admin rights, password, two-step verification) are on
/// <see cref="UserChangeModel"/>'s pages, linked from here. A quota set or an app revoked here
/// is recorded in the audit log as the administrator's.
/// </summary>
public sealed class UserModel(
    UserManager<UserAccount> users,
    StorageDbContext db,
    AccountDirectory directory,
    Quotas quotas,
    Grants grants,
    GrantUsageTracker usage,
    AuditTrail audit) : PageModel
{
    public sealed record AppRow(string Id, string Origin, string Scopes, DateTime? GrantedUtc, DateTime? LastUsedUtc, DateTime? ExpiresUtc);

    [BindProperty(SupportsGet = true)]
    public string Name { get; set; } = string.Empty;

    public AccountListing Account { get; private set; } = null!;

    public SignInMethods Methods { get; private set; } = null!;

    public AccountDeletion? Deletion { get; private set; }

    public DateTime? DisabledUtc { get; private set; }

    public UsageSummary Usage { get; private set; } = null!;

    public long DefaultQuotaBytes => quotas.DefaultBytes;

    public IReadOnlyList<AppRow> Apps { get; private set; } = [];

    public bool IsSelf => string.Equals(User.Identity?.Name, Name, StringComparison.Ordinal);

    public string Path => UsersModel.UserPath(Name);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await ShowAsync(ct);

    public async Task<IActionResult> OnPostQuotaAsync(string? choice, string? size, CancellationToken ct)
    {
        if (await users.FindByNameAsync(Name) is null || !UserName.IsValidAccountName(Name))
        {
            return NotFound();
        }

        var text = choice == "own" ? size : choice;
        if (!Quotas.TryParseOwnQuota(text, out var quota))
        {
            ModelState.AddModelError("size", AdminWords.Text["User_NotASize"]);
            return await ShowAsync(ct);
        }

        await UserLock.SetQuotaAsync(db, Name, quota, ct);
        await RecordAsync(AuditKind.AdminQuotaSet, quota switch
        {
            null => "The default quota, set on the admin pages.",
            0 => "No quota, set on the admin pages.",
            var bytes => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes ({Pages.Account.IndexModel.Size(bytes.Value)}), set on the admin pages."),
        });
        TempData["Message"] = quota switch
        {
            null => AdminWords.Text["User_QuotaNowDefault", Name].Value,
            0 => AdminWords.Text["User_QuotaNowNone", Name].Value,
            var bytes => AdminWords.Text["User_QuotaNow", Name, Words.Size(bytes.Value)].Value,
        };
        return Redirect(Path);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id, CancellationToken ct)
    {
        var grant = string.IsNullOrEmpty(id) ? null : (await grants.ListAsync(Name, ct)).FirstOrDefault(g => g.AuthorizationId == id);
        if (!string.IsNullOrEmpty(id) && await grants.RevokeByIdAsync(Name, id, ct))
        {
            await RecordAsync(
                grant?.AppPasswordName is null ? AuditKind.GrantRevoked : AuditKind.AppPasswordRevoked,
                (grant?.AppPasswordName is { } appPassword ? $"App password \"{appPassword}\"" : grant?.Origin ?? "An app") + ", revoked on the admin pages.");
            TempData["Message"] = AdminWords.Text["User_Revoked"].Value;
        }
        else
        {
            TempData["Message"] = AdminWords.Text["User_NoAccessAnyMore"].Value;
        }

        return Redirect(Path + "#apps-heading");
    }

    public async Task<IActionResult> OnPostRevokeAllAsync(CancellationToken ct)
    {
        var count = await grants.RevokeAsync(Name, origin: null, ct);
        if (count > 0)
        {
            await RecordAsync(AuditKind.GrantRevoked, string.Create(CultureInfo.InvariantCulture, $"All apps ({count} grant(s)), revoked on the admin pages."));
        }

        TempData["Message"] = count == 1 ? AdminWords.Text["User_RevokedOne"].Value : AdminWords.Text["User_RevokedAll", Words.Number(count)].Value;
        return Redirect(Path + "#apps-heading");
    }

    private async Task<IActionResult> ShowAsync(CancellationToken ct)
    {
        if (await directory.FindAsync(Name, ct) is not { } account || await users.FindByNameAsync(Name) is not { } user)
        {
            return NotFound();
        }

        Account = account;
        Methods = await TwoFactorReset.DescribeAsync(users, user);
        Deletion = await PendingDeletions.FindAsync(db, Name, ct);
        DisabledUtc = user.DisabledUtc;
        Usage = await quotas.UsageAsync(db, Name, ct);

        var list = await grants.ListAsync(Name, ct);
        var lastUsed = await usage.LastUsedAsync(db, list.Select(g => g.AuthorizationId).ToList(), ct);
        Apps = list.Select(g => new AppRow(
                g.AuthorizationId,
                g.Origin,
                string.Join(", ", g.Scopes.Scopes.Select(AdminWords.Scope)),
                g.GrantedUtc,
                lastUsed.TryGetValue(g.AuthorizationId, out var usedUtc) ? usedUtc : null,
                g.ExpiresUtc))
            .ToList();
        return Page();
    }

    public string ChangePath(string change) => Path + "/" + change;

    /// <summary>An event about this account, by the administrator at this browser.</summary>
    private Task RecordAsync(AuditKind kind, string detail) =>
        audit.RecordAsync(kind, Name, AuditActor.Admin(HttpContext, User.Identity!.Name!), detail);
}
