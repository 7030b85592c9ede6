using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Origins;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// An admin creates an account (as the CLI's <c>users add</c>, through
/// <see cref="AccountCommands.CreateAsync"/>): with a first password the admin passes on, or with
/// none and a one-time link (<see cref="PasswordResetLinks"/>) where the person chooses their own.
/// Needs a recent login, since it can make administrators; recorded in the audit log as the
/// administrator's.
/// </summary>
[RequireRecentLogin]
public sealed class CreateUserModel(UserManager<UserAccount> users, TimeProvider clock, PublicUrls urls, AuditTrail audit) : PageModel
{
    public const string ByLink = "link";
    public const string ByPassword = "password";

    [BindProperty]
    [Required(ErrorMessage = "Create_NameRequired")]
    [StringLength(Accounts.UserName.MaxLength, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Setup_UserName")]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    public bool IsAdmin { get; set; }

    [BindProperty]
    public string Method { get; set; } = ByLink;

    [BindProperty]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Create_PasswordDisplay")]
    public string? Password { get; set; }

    /// <summary>Set once the account exists, with the link to pass on when there is one.</summary>
    public string? Created { get; private set; }

    public string? SetPasswordLink { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (Method is not (ByLink or ByPassword))
        {
            Method = ByLink;
        }

        if (Method == ByPassword && string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError(nameof(Password), AdminWords.Text["Create_TypePassword"]);
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var name = UserName.Trim();
        var result = await AccountCommands.CreateAsync(users, clock, name, Method == ByPassword ? Password : null, IsAdmin);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, IdentityWords.Describe(error));
            }

            return Page();
        }

        await audit.RecordAsync(
            AuditKind.AdminUserCreated,
            name,
            AuditActor.Admin(HttpContext, User.Identity!.Name!),
            (IsAdmin ? "An administrator account" : "An account") + (Method == ByPassword ? ", with a first password, on the admin pages." : ", with a one-time link to set the password, on the admin pages."));
        if (Method == ByPassword)
        {
            TempData["Message"] = AdminWords.Text["Create_CanLogIn", name].Value;
            return Redirect(UsersModel.UserPath(name));
        }

        var token = await PasswordResetLinks.CreateAsync(users, (await users.FindByNameAsync(name))!);
        Created = name;
        SetPasswordLink = urls.AccountOrigin(Request) + PasswordResetLinks.LinkPath(token);
        Response.Headers.CacheControl = "no-store";
        ModelState.Clear();
        return Page();
    }
}
