using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;

namespace UnhostedStore.Pages;

public sealed class LoginModel(SignInManager<UserAccount> signIn) : PageModel
{
    [BindProperty]
    [Required]
    [StringLength(64)]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    [Required]
    [StringLength(1024)]
    public string Password { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await signIn.PasswordSignInAsync(UserName.Trim(), Password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            // Only local return URLs: the login form must never become an open redirect.
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account");
        }

        ModelState.AddModelError(string.Empty, result.IsLockedOut
            ? "Too many failed attempts. This account is locked for a while; try again later."
            : "The user name or password is not right.");
        return Page();
    }
}
