using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.Origins;
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
/// active admin; removing one's own admin rights needs a second, explicit yes.
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
    IOptions<AccountOptions> options) : PageModel
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
    [StringLength(1024)]
    [Display(Name = "New password")]
    public string? NewPassword { get; set; }

    [BindProperty]
    [StringLength(1024)]
    [Display(Name = "New password again")]
    public string? ConfirmPassword { get; set; }

    [BindProperty]
    [StringLength(1024)]
    [Display(Name = "Access")]
    public string? Scope { get; set; }

    [BindProperty]
    [StringLength(2048)]
    [Display(Name = "App origin")]
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
                return Refuse("You can't disable your own account here.");
            case "disable":
                return Done(await disabling.DisableAsync(Name, ct), $"{Name} is disabled: they can't log in, and their apps stopped working.", $"{Name} was disabled already.");
            case "enable":
                return Done(await disabling.EnableAsync(Name, ct), $"{Name} is enabled again: they can log in, and their apps work as before.", $"{Name} was not disabled.");
            case "promote":
                return Done(await admins.SetAdminAsync(Name, true, ct), $"{Name} is an administrator now.", $"{Name} was an administrator already.");
            case "demote" when IsSelf && !ConfirmSelf:
                return Refuse("Tick the box to confirm that you want to stop being an administrator.");
            case "demote":
                var demoted = await admins.SetAdminAsync(Name, false, ct);
                if (demoted == AdminChange.Done && IsSelf)
                {
                    TempData["Message"] = "You are no longer an administrator.";
                    return Redirect("/account");
                }

                return Done(demoted, $"{Name} is no longer an administrator.", $"{Name} was not an administrator.");
            case "delete":
                return await DeleteAsync(ct);
            case "cancel-deletion":
                return await deletions.CancelAsync(Name, ct) switch
                {
                    CancelResult.Cancelled => Back($"{Name} is no longer being deleted: the account, its apps and its public links are back."),
                    CancelResult.AlreadyErasing => Refuse("Too late: the account is being erased right now, and it can no longer be brought back."),
                    _ => Back($"{Name} was not being deleted."),
                };
            case "reset-2fa":
                var reset = await TwoFactorReset.ResetAsync(users, (await users.FindByNameAsync(Name))!, RemovePasskeys);
                return reset.Succeeded
                    ? Back($"Two-step verification of {Name} is reset: no authenticator app, no recovery codes{(RemovePasskeys ? ", no passkeys" : string.Empty)}. They were logged out everywhere.")
                    : Refuse(AccountCommands.Describe(reset));
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
            return Refuse(string.IsNullOrEmpty(NewPassword) ? "Type the new password." : "The two passwords differ.");
        }

        var result = await AccountCommands.SetPasswordAsync(users, (await users.FindByNameAsync(Name))!, NewPassword);
        return result.Succeeded
            ? Back($"The password of {Name} is changed. Pass it on to them safely; they can change it on their account page.")
            : Refuse(AccountCommands.Describe(result));
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
            return Refuse("Write the access as module:r or module:rw, several separated by spaces (* for every module), for example “notes:rw contacts:r”.");
        }

        if (!ClientOrigin.TryParse(string.IsNullOrWhiteSpace(Origin) ? OperatorTokens.DefaultOrigin : Origin.Trim(), out var origin, out var error))
        {
            return Refuse($"That is not an app origin: {error}.");
        }

        if (!Grants.LifetimeChoices.Contains(Days))
        {
            return Refuse("Choose how long the token works.");
        }

        if (await OperatorTokens.RefusalAsync(db, Name, ct) is { } refusal)
        {
            return Refuse(refusal);
        }

        IssuedToken = (await tokens.IssueAsync(Name, scopes, origin!, Days, ct)).AccessToken;
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    private async Task<IActionResult> DeleteAsync(CancellationToken ct)
    {
        if (IsSelf)
        {
            return Refuse("You can't delete your own account here: use “Delete your account” on your account page.");
        }

        if (await AdminRights.IsLastActiveAdminAsync(db, Name, ct))
        {
            return Refuse(LastAdmin);
        }

        var deletion = await deletions.ScheduleAsync(Name, EraseNow, ct);
        var now = deletion.EraseAfterUtc <= clock.GetUtcNow().UtcDateTime;
        TempData["Message"] = now
            ? $"{Name} is disabled and is being erased now, with all their documents and apps."
            : $"{Name} is disabled now and will be erased on {PendingDeletions.Describe(deletion.EraseAfterUtc)}. Until then you can cancel the deletion, or they can by logging in.";
        return Redirect(now ? "/admin/users" : UserPath);
    }

    private const string LastAdmin = "This is the last administrator who can log in. Make someone else an administrator first.";

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        if (!Changes.Contains(Change, StringComparer.Ordinal) || await directory.FindAsync(Name, ct) is not { } account)
        {
            return false;
        }

        Account = account;
        return true;
    }

    private IActionResult Done(AdminChange outcome, string done, string unchanged) => outcome switch
    {
        AdminChange.Done => Back(done),
        AdminChange.Unchanged => Back(unchanged),
        AdminChange.LastAdmin => Refuse(LastAdmin),
        _ => NotFound(),
    };

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
