using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// New recovery codes (the old ones stop working), shown once. For accounts with a second factor
/// (authenticator app or passkey); needs a recent login, as the codes are a way in.
/// </summary>
[Authorize]
[RequireRecentLogin]
public sealed class RecoveryCodesModel(AccountSignIn signIn, AuditTrail audit) : PageModel
{
    public int Left { get; private set; }

    public bool CanMake { get; private set; }

    public IReadOnlyList<string> Codes { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (await signIn.UserManager.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        Left = await signIn.UserManager.CountRecoveryCodesAsync(account);
        CanMake = await signIn.UserManager.GetTwoFactorEnabledAsync(account) || (await signIn.UserManager.GetPasskeysAsync(account)).Count > 0;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await signIn.UserManager.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        CanMake = await signIn.UserManager.GetTwoFactorEnabledAsync(account) || (await signIn.UserManager.GetPasskeysAsync(account)).Count > 0;
        if (!CanMake)
        {
            return Page();
        }

        Codes = (await signIn.UserManager.GenerateNewTwoFactorRecoveryCodesAsync(account, AuthenticatorModel.RecoveryCodeCount))!.ToList();
        Left = Codes.Count;
        await audit.RecordAsync(AuditKind.RecoveryCodesGenerated, account, AuditActor.Person(HttpContext, account.UserName!), $"{Codes.Count} new codes; the old ones no longer work.");
        return Page();
    }
}
