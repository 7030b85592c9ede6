using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>Change password: the current one, then a new one that meets the Identity rules.</summary>
[Authorize]
public sealed class PasswordModel(UserManager<UserAccount> users, SignInManager<UserAccount> signIn) : PageModel
{
    [BindProperty]
    [Required]
    [StringLength(1024)]
    [Display(Name = "Current password")]
    public string CurrentPassword { get; set; } = string.Empty;

    [BindProperty]
    [Required]
    [StringLength(1024)]
    [Display(Name = "New password")]
    public string NewPassword { get; set; } = string.Empty;

    [BindProperty]
    [Required]
    [StringLength(1024)]
    [Compare(nameof(NewPassword), ErrorMessage = "The two new passwords differ.")]
    [Display(Name = "New password again")]
    public string ConfirmPassword { get; set; } = string.Empty;

    [TempData]
    public string? Message { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var account = await users.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        var result = await users.ChangePasswordAsync(account, CurrentPassword, NewPassword);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Code == "PasswordMismatch" ? "The current password is not right." : error.Description);
            }

            return Page();
        }

        // The security stamp changed: renew this browser's cookie so it stays logged in.
        await signIn.RefreshSignInAsync(account);
        Message = "Your password was changed.";
        return RedirectToPage("/Account/Index");
    }
}
