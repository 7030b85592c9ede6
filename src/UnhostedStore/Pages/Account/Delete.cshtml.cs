using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// Leaving for good: the person confirms with their password (which counts as re-authentication;
/// an account without a password needs a recent login instead); the account is disabled at once
/// and erased after <c>Accounts:DeletionGraceDays</c> (<see cref="AccountDeletions"/>). Until
/// then, logging in offers to cancel.
/// </summary>
[Authorize]
public sealed class DeleteModel(
    SignInManager<UserAccount> signIn,
    AccountDeletions deletions,
    IOptions<AccountOptions> options,
    TimeProvider clock,
    IStringLocalizer<AccountText> t, AuditTrail audit) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Delete_PasswordRequired")]
    [StringLength(1024)]
    [Display(Name = "Delete_PasswordDisplay")]
    public string Password { get; set; } = string.Empty;

    public int GraceDays => options.Value.DeletionGraceDays;

    /// <summary>When erasure would happen if the person deleted now (on the form), or will (after).</summary>
    public DateTime EraseAfterUtc { get; private set; }

    public bool Scheduled { get; private set; }

    /// <summary>False for an account that logs in with passkeys only: no password to type.</summary>
    public bool HasPassword { get; private set; } = true;

    public async Task<IActionResult> OnGetAsync()
    {
        EraseAfterUtc = clock.GetUtcNow().UtcDateTime.AddDays(GraceDays);
        var account = await signIn.UserManager.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        HasPassword = await signIn.UserManager.HasPasswordAsync(account);
        return HasPassword || RecentLogin.IsFresh(HttpContext) ? Page() : RecentLogin.Challenge(HttpContext);
    }

    public async Task<IActionResult> OnPostAsync()
    {
        EraseAfterUtc = clock.GetUtcNow().UtcDateTime.AddDays(GraceDays);
        var account = await signIn.UserManager.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        HasPassword = await signIn.UserManager.HasPasswordAsync(account);
        if (!HasPassword)
        {
            ModelState.Remove(nameof(Password));
            if (!RecentLogin.IsFresh(HttpContext))
            {
                return RecentLogin.Challenge(HttpContext);
            }
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Failed attempts count toward the lockout, as on the login page.
        var check = HasPassword ? await signIn.CheckPasswordSignInAsync(account, Password, lockoutOnFailure: true) : Microsoft.AspNetCore.Identity.SignInResult.Success;
        if (!check.Succeeded)
        {
            ModelState.AddModelError(nameof(Password), check.IsLockedOut
                ? t["Delete_Locked"]
                : t["Delete_WrongPassword"]);
            return Page();
        }

        var deletion = await deletions.ScheduleAsync(account.UserName!, eraseNow: false, HttpContext.RequestAborted);
        await audit.RecordAsync(AuditKind.AccountDeletionRequested, account, AuditActor.Person(HttpContext, account.UserName!), $"On the account page; to be erased on {PendingDeletions.Describe(deletion.EraseAfterUtc)}.");
        await signIn.SignOutAsync();

        // This response already shows the page as logged out.
        HttpContext.User = new ClaimsPrincipal(new ClaimsIdentity());
        EraseAfterUtc = deletion.EraseAfterUtc;
        Scheduled = true;
        return Page();
    }

    public static string When(DateTime utc) => utc.ToString(Words.Of<AccountText>()["Delete_DateFormat"], System.Globalization.CultureInfo.CurrentCulture);
}
