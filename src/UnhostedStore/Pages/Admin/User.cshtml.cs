using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// One account for an admin: its state, how it logs in, its storage and quota, and its connected
/// apps (revocable here, as on the person's own account page). Changes that need a fresh login
/// and a confirmation (disable, delete, admin rights, password, two-step verification) are on
/// <see cref="UserChangeModel"/>'s pages, linked from here.
/// </summary>
public sealed class UserModel(
    UserManager<UserAccount> users,
    StorageDbContext db,
    AccountDirectory directory,
    Quotas quotas,
    Grants grants,
    GrantUsageTracker usage) : PageModel
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
            ModelState.AddModelError("size", "That is not a size: write it like 500M, 10G or 1T.");
            return await ShowAsync(ct);
        }

        await UserLock.SetQuotaAsync(db, Name, quota, ct);
        TempData["Message"] = quota switch
        {
            null => $"{Name} now has the default quota.",
            0 => $"{Name} now has no quota: they may store as much as the server holds.",
            var bytes => $"{Name} may now store {Pages.Account.IndexModel.Size(bytes.Value)}.",
        };
        return Redirect(Path);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id, CancellationToken ct)
    {
        TempData["Message"] = !string.IsNullOrEmpty(id) && await grants.RevokeByIdAsync(Name, id, ct)
            ? "Access revoked. That app can no longer use this storage."
            : "That app had no access any more.";
        return Redirect(Path + "#apps-heading");
    }

    public async Task<IActionResult> OnPostRevokeAllAsync(CancellationToken ct)
    {
        var count = await grants.RevokeAsync(Name, origin: null, ct);
        TempData["Message"] = count == 1 ? "Access revoked for 1 app." : $"Access revoked for all apps ({count} grants).";
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
                string.Join(", ", g.Scopes.Scopes.Select(DescribeScope)),
                g.GrantedUtc,
                lastUsed.TryGetValue(g.AuthorizationId, out var t) ? t : null,
                g.ExpiresUtc))
            .ToList();
        return Page();
    }

    public string ChangePath(string change) => Path + "/" + change;

    public static string DescribeScope(Scope scope) =>
        (scope.IsRoot ? "everything" : scope.Module) + (scope.CanWrite ? " (read and write)" : " (read only)");
}
