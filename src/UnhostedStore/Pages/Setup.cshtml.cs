using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

/// <summary>First run: the one-time link the server logs creates the admin account.</summary>
public sealed class SetupModel(UserManager<UserAccount> users, SignInManager<UserAccount> signIn, SetupLinks links, TimeProvider clock, AuditTrail audit) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Setup_Required")]
    [StringLength(Accounts.UserName.MaxLength, ErrorMessage = "Setup_MaxLength")]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "Setup_Required")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    public string Password { get; set; } = string.Empty;

    public async Task<IActionResult> OnGetAsync() =>
        links.IsValid(Token) && !await users.Users.AnyAsync() ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!links.IsValid(Token) || await users.Users.AnyAsync())
        {
            return NotFound();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await AccountCommands.CreateAsync(users, clock, UserName.Trim(), Password, isAdmin: true);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, IdentityWords.Describe(error));
            }

            return Page();
        }

        links.Consume(Token);
        var user = await users.FindByNameAsync(UserName.Trim());
        await audit.RecordAsync(AuditKind.AccountCreated, user!, AuditActor.Person(HttpContext, user!.UserName!), "The first account, an administrator, on the setup page.");
        await signIn.SignInAsync(user!, isPersistent: true);
        return Redirect("/account");
    }
}
