using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Pages.Text;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// "Confirm it is you" before a sensitive action when the login is older than
/// <see cref="RecentLogin.MaxAge"/>: the password or a passkey of this account renews the
/// session's <c>auth_time</c> (with a new session cookie), then the person goes back to the
/// action. Wrong passwords count toward the lockout.
/// </summary>
[Authorize]
public sealed class ReauthModel(AccountSignIn signIn, IStringLocalizer<AccountText> t) : PageModel
{
    [BindProperty]
    [StringLength(1024)]
    [Display(Name = "Password")]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool HasPassword { get; private set; }

    public bool HasPasskeys { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var account = await signIn.UserManager.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        await DescribeAsync(account);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var account = await signIn.UserManager.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        await DescribeAsync(account);
        if (string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError(nameof(Password), t["Reauth_TypePassword"]);
            return Page();
        }

        var check = await signIn.CheckPasswordAsync(account, Password);
        if (!check.Succeeded)
        {
            ModelState.AddModelError(nameof(Password), check.IsLockedOut
                ? t["Reauth_Locked"]
                : t["Reauth_Wrong"]);
            return Page();
        }

        await signIn.ReauthenticatedAsync(account);
        return Back();
    }

    /// <summary>Options for a passkey of this account (it is known: the person is logged in).</summary>
    public async Task<IActionResult> OnPostPasskeyOptionsAsync()
    {
        var account = await signIn.UserManager.GetUserAsync(User);
        return account is null ? Challenge() : Content(await signIn.MakePasskeyRequestOptionsAsync(account), "application/json");
    }

    public async Task<IActionResult> OnPostPasskeyAsync(string? credential)
    {
        ModelState.Clear();
        var account = await signIn.UserManager.GetUserAsync(User);
        if (account is null)
        {
            return Challenge();
        }

        await DescribeAsync(account);
        var assertion = await signIn.VerifyPasskeyAsync(credential);

        // The options named this account, so Identity checks the passkey is one of its own.
        if (assertion is not { Succeeded: true } || assertion.User.Id != account.Id)
        {
            ModelState.AddModelError(string.Empty, t["Reauth_PasskeyRejected"]);
            return Page();
        }

        await signIn.UserManager.AddOrUpdatePasskeyAsync(account, assertion.Passkey);
        await signIn.ReauthenticatedAsync(account);
        return Back();
    }

    private async Task DescribeAsync(Persistence.UserAccount account)
    {
        HasPassword = await signIn.UserManager.HasPasswordAsync(account);
        HasPasskeys = (await signIn.UserManager.GetPasskeysAsync(account)).Count > 0;
    }

    private LocalRedirectResult Back() => LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account");
}
