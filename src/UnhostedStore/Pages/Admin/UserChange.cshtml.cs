using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.Origins;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// The changes to an account that deserve a pause, one page each: it says what will happen and
/// asks to confirm. All of them need a login from the last 10 minutes
/// (<see cref="RequireRecentLoginAttribute"/>, OWASP ASVS 4.0.3 V3.7.1), so that whoever finds an
/// admin's browser unlocked can neither take over nor lock out accounts with it. The work is done
/// by the same code as the CLI's (<see cref="AccountDisabling"/>, <see cref="AdminRights"/>,
/// <see cref="AccountDeletions"/>, <see cref="TwoFactorReset"/>, <see cref="PasswordResetLinks"/>,
/// <see cref="AccountCommands"/>). Nobody disables or deletes themselves here, nor removes the last
/// active admin; removing one's own admin rights needs a second, explicit yes. Every change
/// that happens is recorded in the audit log as the administrator's (ASVS V7.1).
/// </summary>
[RequireRecentLogin]
public sealed class UserChangeModel(
    UserManager<UserAccount> users,
    AccountDirectory directory,
    AccountDisabling disabling,
    AdminRights admins,
    AccountDeletions deletions,
    PublicUrls urls,
    StorageDbContext db,
    TimeProvider clock,
    IOptions<AccountOptions> options,
    AuditTrail audit) : PageModel
{
    public static readonly string[] Changes = ["disable", "enable", "promote", "demote", "delete", "cancel-deletion", "reset-2fa", "password", "token"];

    [BindProperty(SupportsGet = true)]
    public string Name { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string Change { get; set; } = string.Empty;

    /// <summary>Removing one's own admin rights: the explicit yes.</summary>
    [BindProperty]
    public bool ConfirmSelf { get; set; }

    [BindProperty]
    public bool EraseNow { get; set; }

    [BindProperty]
    public bool RemovePasskeys { get; set; }

    [BindProperty]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "PasswordPage_NewDisplay")]
    public string? NewPassword { get; set; }

    [BindProperty]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "PasswordPage_AgainDisplay")]
    public string? ConfirmPassword { get; set; }

    [BindProperty]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Token_ScopeDisplay")]
    public string? Scope { get; set; }

    [BindProperty]
    [StringLength(2048, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Token_OriginDisplay")]
    public string? Origin { get; set; } = OperatorTokens.DefaultOrigin;

    [BindProperty]
    public int Days { get; set; } = 30;

    /// <summary>A token just issued: shown on this answer only.</summary>
    public string? IssuedToken { get; private set; }

    public AccountListing Account { get; private set; } = null!;

    public bool IsSelf => string.Equals(User.Identity?.Name, Name, StringComparison.Ordinal);

    public int GraceDays => options.Value.DeletionGraceDays;

    /// <summary>A password-reset link just made: shown on this answer only.</summary>
    public string? ResetLink { get; private set; }

    public string UserPath => UsersModel.UserPath(Name);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) =>
        await LoadAsync(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        switch (Change)
        {
            case "disable" when IsSelf:
                return Refuse(W("Refuse_DisableSelf"));
            case "disable":
                return await DoneAsync(await disabling.DisableAsync(Name, ct), AuditKind.AdminUserDisabled, "Disabled on the admin pages: no login, apps set aside.", W("Done_Disabled", Name), W("Done_DisabledAlready", Name));
            case "enable":
                return await DoneAsync(await disabling.EnableAsync(Name, ct), AuditKind.AdminUserEnabled, "Enabled again on the admin pages.", W("Done_Enabled", Name), W("Done_NotDisabled", Name));
            case "promote":
                return await DoneAsync(await admins.SetAdminAsync(Name, true, ct), AuditKind.AdminRightsGranted, "Made an administrator on the admin pages.", W("Done_Promoted", Name), W("Done_AdminAlready", Name));
            case "demote" when IsSelf && !ConfirmSelf:
                return Refuse(W("Refuse_TickTheBox"));
            case "demote":
                var demoted = await admins.SetAdminAsync(Name, false, ct);
                if (demoted == AdminChange.Done && IsSelf)
                {
                    await RecordAsync(AuditKind.AdminRightsRemoved, "Gave up their own administrator rights on the admin pages.");
                    TempData["Message"] = W("Done_DemotedSelf");
                    return Redirect("/account");
                }

                return await DoneAsync(demoted, AuditKind.AdminRightsRemoved, "Administrator rights removed on the admin pages.", W("Done_Demoted", Name), W("Done_NotAdmin", Name));
            case "delete":
                return await DeleteAsync(ct);
            case "cancel-deletion":
                switch (await deletions.CancelAsync(Name, ct))
                {
                    case CancelResult.Cancelled:
                        await RecordAsync(AuditKind.AccountDeletionCancelled, "Cancelled by the administrator on the admin pages.");
                        return Back(W("Done_DeletionCancelled", Name));
                    case CancelResult.AlreadyErasing:
                        return Refuse(W("Refuse_TooLate"));
                    default:
                        return Back(W("Done_NotBeingDeleted", Name));
                }

            case "reset-2fa":
                var reset = await TwoFactorReset.ResetAsync(users, (await users.FindByNameAsync(Name))!, RemovePasskeys);
                if (!reset.Succeeded)
                {
                    return Refuse(IdentityWords.Describe(reset));
                }

                await RecordAsync(AuditKind.AdminTwoFactorReset, RemovePasskeys
                    ? "Authenticator app, recovery codes and passkeys removed; signed out everywhere."
                    : "Authenticator app and recovery codes removed; signed out everywhere.");
                return Back(W(RemovePasskeys ? "Done_Reset2faPasskeys" : "Done_Reset2fa", Name));
            default:
                return NotFound();
        }
    }

    /// <summary>Makes a one-time link to set a new password, shown once to pass on.</summary>
    public async Task<IActionResult> OnPostLinkAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct) || Change != "password")
        {
            return NotFound();
        }

        var token = await PasswordResetLinks.CreateAsync(users, (await users.FindByNameAsync(Name))!);
        await RecordAsync(AuditKind.AdminResetLinkCreated, "A one-time link to set a new password, valid 24 hours.");
        ResetLink = urls.AccountOrigin(Request) + PasswordResetLinks.LinkPath(token);
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    /// <summary>Sets the password directly (as the CLI's <c>users set-password</c>); also lifts a lockout.</summary>
    public async Task<IActionResult> OnPostSetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct) || Change != "password")
        {
            return NotFound();
        }

        if (string.IsNullOrEmpty(NewPassword) || NewPassword != ConfirmPassword)
        {
            return Refuse(string.IsNullOrEmpty(NewPassword) ? W("Refuse_TypePassword") : W("Refuse_PasswordsDiffer"));
        }

        var result = await AccountCommands.SetPasswordAsync(users, (await users.FindByNameAsync(Name))!, NewPassword);
        if (!result.Succeeded)
        {
            return Refuse(IdentityWords.Describe(result));
        }

        await RecordAsync(AuditKind.AdminPasswordSet, "A new password on the admin pages; any lockout lifted.");
        return Back(W("Done_PasswordSet", Name));
    }

    /// <summary>A token for a script or an app without OAuth, as the CLI's <c>tokens issue</c>.</summary>
    public async Task<IActionResult> OnPostTokenAsync([FromServices] OperatorTokens tokens, CancellationToken ct)
    {
        if (!await LoadAsync(ct) || Change != "token")
        {
            return NotFound();
        }

        if (!ScopeSet.TryParse(Scope?.Trim() ?? string.Empty, out var scopes))
        {
            return Refuse(W("Refuse_Scope"));
        }

        if (!ClientOrigin.TryParse(string.IsNullOrWhiteSpace(Origin) ? OperatorTokens.DefaultOrigin : Origin.Trim(), out var origin, out var error))
        {
            return Refuse(W("Refuse_Origin", error ?? string.Empty));
        }

        if (!Grants.LifetimeChoices.Contains(Days))
        {
            return Refuse(W("Refuse_Days"));
        }

        if (await OperatorTokens.RefusalAsync(db, Name, ct) is not null)
        {
            return Refuse(await PendingDeletions.IsDisabledAsync(db, Name, ct) ? W("Refuse_TokenLeaving", Name) : W("Refuse_TokenDisabled", Name));
        }

        IssuedToken = (await tokens.IssueAsync(Name, scopes, origin!, Days, ct)).AccessToken;
        await RecordAsync(AuditKind.GrantCreated, string.Create(
            CultureInfo.InvariantCulture,
            $"{origin!.Value}: {scopes}, {(Days > 0 ? $"for {Days} days" : "until revoked")}; a token issued on the admin pages."));
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    private async Task<IActionResult> DeleteAsync(CancellationToken ct)
    {
        if (IsSelf)
        {
            return Refuse(W("Refuse_DeleteSelf"));
        }

        if (await AdminRights.IsLastActiveAdminAsync(db, Name, ct))
        {
            return Refuse(LastAdmin);
        }

        var deletion = await deletions.ScheduleAsync(Name, EraseNow, ct);
        var now = deletion.EraseAfterUtc <= clock.GetUtcNow().UtcDateTime;
        await RecordAsync(AuditKind.AccountDeletionRequested, now
            ? "By the administrator on the admin pages; erased at once."
            : $"By the administrator on the admin pages; to be erased on {PendingDeletions.Describe(deletion.EraseAfterUtc)}.");
        TempData["Message"] = now
            ? W("Done_DeletingNow", Name)
            : W("Done_DeletionScheduled", Name, UnhostedStore.Pages.Account.DeleteModel.When(deletion.EraseAfterUtc));
        return Redirect(now ? "/admin/users" : UserPath);
    }

    private static string LastAdmin => W("Refuse_LastAdmin");

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        if (!Changes.Contains(Change, StringComparer.Ordinal) || await directory.FindAsync(Name, ct) is not { } account)
        {
            return false;
        }

        Account = account;
        return true;
    }

    /// <summary>The answer to a change of state or rights; only a change that happened is recorded.</summary>
    private async Task<IActionResult> DoneAsync(AdminChange outcome, AuditKind kind, string detail, string done, string unchanged)
    {
        switch (outcome)
        {
            case AdminChange.Done:
                await RecordAsync(kind, detail);
                return Back(done);
            case AdminChange.Unchanged:
                return Back(unchanged);
            case AdminChange.LastAdmin:
                return Refuse(LastAdmin);
            default:
                return NotFound();
        }
    }

    /// <summary>An event about this account, by the administrator at this browser.</summary>
    private Task RecordAsync(AuditKind kind, string detail) =>
        audit.RecordAsync(kind, Name, AuditActor.Admin(HttpContext, User.Identity!.Name!), detail);

    private static string W(string key, params object[] args) => AdminWords.Text[key, args];

    private RedirectResult Back(string message)
    {
        TempData["Message"] = message;
        return Redirect(UserPath);
    }

    private PageResult Refuse(string reason)
    {
        ModelState.AddModelError(string.Empty, reason);
        return Page();
    }
}
