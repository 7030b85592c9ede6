using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

/// <summary>
/// Where a one-time link from an admin leads (<see cref="PasswordResetLinks"/>): the person sets a
/// new password (at least 10 characters, the same rules as everywhere) and then logs in with it.
/// A link that is unknown, altered, expired or used gets one plain answer that tells nothing
/// about the account. The token is in the URL only: never stored by browsers' caches (no-store),
/// never sent on (Referrer-Policy: no-referrer).
/// </summary>
public sealed class ResetPasswordModel(UserManager<UserAccount> users, PasswordResetLinks links, IStringLocalizer<AccountText> t) : PageModel
{
    [BindProperty(SupportsGet = true)]
    [StringLength(2048)]
    public string? Token { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Reset_NewRequired")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "PasswordPage_NewDisplay")]
    public string NewPassword { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "Reset_AgainRequired")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Compare(nameof(NewPassword), ErrorMessage = "Reset_Differ")]
    [Display(Name = "PasswordPage_AgainDisplay")]
    public string ConfirmPassword { get; set; } = string.Empty;

    public bool LinkInvalid { get; private set; }

    public string? UserName { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        Response.Headers.CacheControl = "no-store";
        if (await links.FindUserAsync(users, Token) is not { } user)
        {
            return Invalid();
        }

        UserName = user.UserName;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        Response.Headers.CacheControl = "no-store";
        if (await links.FindUserAsync(users, Token) is not { } user)
        {
            return Invalid();
        }

        UserName = user.UserName;
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var (outcome, result) = await links.ResetAsync(users, Token, NewPassword);
        switch (outcome)
        {
            case PasswordResetOutcome.Done:
                TempData["Message"] = t["Reset_Done"].Value;
                return Redirect("/login");
            case PasswordResetOutcome.PasswordRejected:
                foreach (var error in result!.Errors)
                {
                    ModelState.AddModelError(string.Empty, IdentityWords.Describe(error));
                }

                return Page();
            default:
                return Invalid();
        }
    }

    private PageResult Invalid()
    {
        LinkInvalid = true;
        ModelState.Clear();
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }
}
