using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

/// <summary>
/// Self sign-up, as the sign-up policy allows (<see cref="SignupSettings"/>: set by an admin, kept
/// in the database; <c>Accounts:Signup</c> until then): <c>Closed</c> (404), <c>Invite</c> (needs a
/// valid, unused invite link) or <c>Open</c>. Read at every request, so a change holds at once.
/// </summary>
public sealed class SignupModel(
    UserManager<UserAccount> users,
    SignInManager<UserAccount> signIn,
    Invites invites,
    TimeProvider clock,
    SignupSettings signup,
    AuditTrail audit,
    IStringLocalizer<AccountText> t) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "invite")]
    public string? Invite { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Setup_Required")]
    [StringLength(Accounts.UserName.MaxLength, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Setup_UserName")]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "Setup_Required")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Login_Password")]
    public string Password { get; set; } = string.Empty;

    public SignupPolicy Policy { get; private set; }

    public bool NeedsInvite => Policy == SignupPolicy.Invite;

    /// <summary>Set when the invite link is missing, expired or used up.</summary>
    public bool InviteInvalid { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Policy = await signup.GetAsync(ct);
        if (Policy == SignupPolicy.Closed)
        {
            return NotFound();
        }

        return NeedsInvite && !await invites.IsValidAsync(Invite, ct) ? InvalidInvite() : Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Policy = await signup.GetAsync(ct);
        if (Policy == SignupPolicy.Closed)
        {
            return NotFound();
        }

        if (NeedsInvite && !await invites.IsValidAsync(Invite, ct))
        {
            return InvalidInvite();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var name = UserName.Trim();
        if (NeedsInvite && !await invites.ConsumeAsync(Invite, name, ct))
        {
            // Someone else used the link a moment ago.
            return InvalidInvite();
        }

        var result = await AccountCommands.CreateAsync(users, clock, name, Password, isAdmin: false);
        if (!result.Succeeded)
        {
            if (NeedsInvite)
            {
                await invites.ReleaseAsync(Invite!, name, CancellationToken.None);
            }

            // A taken name gets words that do not say "taken": user names are public addresses
            // (user@host), so this tells little, but no more than needed to choose another.
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Code == "DuplicateUserName" ? t["Signup_NameNotAvailable"] : IdentityWords.Describe(error));
            }

            return Page();
        }

        var account = await users.FindByNameAsync(name);
        await audit.RecordAsync(AuditKind.AccountCreated, account!, AuditActor.Person(HttpContext, name), NeedsInvite ? "Signed up with an invite link." : "Signed up.");
        await signIn.SignInAsync(account!, isPersistent: true);
        return Redirect("/account");
    }

    private PageResult InvalidInvite()
    {
        InviteInvalid = true;
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }
}
