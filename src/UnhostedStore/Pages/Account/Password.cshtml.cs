using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// Change password: the current one, then a new one that meets the Identity rules. An account
/// without a password (passkeys only) sets one here instead. Needs a recent login
/// (<see cref="RecentLogin"/>).
/// </summary>
[Authorize]
[RequireRecentLogin]
public sealed class PasswordModel(UserManager<UserAccount> users, SignInManager<UserAccount> signIn, AuditTrail audit, IStringLocalizer<AccountText> t) : PageModel
{
    [BindProperty]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "PasswordPage_CurrentDisplay")]
    public string? CurrentPassword { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "PasswordPage_NewRequired")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "PasswordPage_NewDisplay")]
    public string NewPassword { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "PasswordPage_AgainRequired")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Compare(nameof(NewPassword), ErrorMessage = "PasswordPage_Differ")]
    [Display(Name = "PasswordPage_AgainDisplay")]
    public string ConfirmPassword { get; set; } = string.Empty;

    [TempData]
    public string? Message { get; set; }

    /// <summary>False for an account that logs in with passkeys only: it sets a password.</summary>
    public bool HasPassword { get; private set; } = true;

    public async Task<IActionResult> OnGetAsync()
    {
        var account = await users.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        HasPassword = await users.HasPasswordAsync(account);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var account = await users.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        HasPassword = await users.HasPasswordAsync(account);
        if (HasPassword && string.IsNullOrEmpty(CurrentPassword))
        {
            ModelState.AddModelError(nameof(CurrentPassword), t["PasswordPage_CurrentRequired"]);
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = HasPassword
            ? await users.ChangePasswordAsync(account, CurrentPassword!, NewPassword)
            : await users.AddPasswordAsync(account, NewPassword);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, IdentityWords.Describe(error));
            }

            return Page();
        }

        // The security stamp changed: renew this browser's cookie so it stays logged in.
        await signIn.RefreshSignInAsync(account);
        await audit.RecordAsync(AuditKind.PasswordChanged, account, AuditActor.Person(HttpContext, account.UserName!), HasPassword ? "Changed on the password page." : "Set on the password page (the account had none).");
        Message = HasPassword ? t["PasswordPage_Changed"] : t["PasswordPage_Set"];
        return RedirectToPage("/Account/Index");
    }
}
