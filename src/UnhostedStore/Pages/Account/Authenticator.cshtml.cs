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
/// Setting up an authenticator app (RFC 6238 TOTP with Identity's authenticator token provider):
/// a new key, shown as text and as a QR code of its <c>otpauth://</c> URI; a code from the app
/// proves it was added, then two-step verification is on and 10 recovery codes are shown, once.
/// </summary>
[Authorize]
public sealed class AuthenticatorModel(AccountSignIn signIn, IStringLocalizer<AccountText> t, AuditTrail audit) : PageModel
{
    public const int RecoveryCodeCount = 10;

    [BindProperty]
    [Required(ErrorMessage = "Totp_CodeRequired")]
    [StringLength(32)]
    [Display(Name = "Totp_CodeLabel")]
    public string Code { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The key being set up (base32), or null before "Set up" was pressed.</summary>
    public string? Key { get; private set; }

    public string ReadableKey => AuthenticatorKeys.Readable(Key ?? string.Empty);

    public string KeyUri { get; private set; } = string.Empty;

    public string QrSvg { get; private set; } = string.Empty;

    /// <summary>Set once, right after the app was confirmed: the new recovery codes.</summary>
    public IReadOnlyList<string> RecoveryCodes { get; private set; } = [];

    public string ContinueUrl => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : TwoFactorEnrolmentGate.SecurityPath;

    private UserManager<UserAccount> Users => signIn.UserManager;

    public async Task<IActionResult> OnGetAsync()
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (await Users.GetTwoFactorEnabledAsync(account))
        {
            return Redirect(TwoFactorEnrolmentGate.SecurityPath);
        }

        await ShowKeyAsync(account);
        return Page();
    }

    /// <summary>A new key each time: one shown before (on a screen, in a screenshot) is not reused.</summary>
    public async Task<IActionResult> OnPostStartAsync()
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (await Users.GetTwoFactorEnabledAsync(account))
        {
            return Redirect(TwoFactorEnrolmentGate.SecurityPath);
        }

        await Users.ResetAuthenticatorKeyAsync(account);

        // The security stamp changed: this browser's session is renewed (others end).
        await signIn.RefreshSignInAsync(account);
        return RedirectToPage(new { ReturnUrl });
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (await Users.GetTwoFactorEnabledAsync(account))
        {
            return Redirect(TwoFactorEnrolmentGate.SecurityPath);
        }

        await ShowKeyAsync(account);
        if (Key is null)
        {
            return Page();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (!await Users.VerifyTwoFactorTokenAsync(account, Users.Options.Tokens.AuthenticatorTokenProvider, AuthenticatorKeys.CleanCode(Code)))
        {
            ModelState.AddModelError(nameof(Code), t["Totp_CodeWrong"]);
            return Page();
        }

        await Users.SetTwoFactorEnabledAsync(account, true);
        RecoveryCodes = (await Users.GenerateNewTwoFactorRecoveryCodesAsync(account, RecoveryCodeCount))!.ToList();
        await signIn.RefreshSignInAsync(account);
        await audit.RecordAsync(AuditKind.TwoFactorEnabled, account, AuditActor.Person(HttpContext, account.UserName!), $"With an authenticator app; {RecoveryCodes.Count} new recovery codes.");
        return Page();
    }

    private async Task ShowKeyAsync(UserAccount account)
    {
        Key = await Users.GetAuthenticatorKeyAsync(account);
        if (Key is not null)
        {
            KeyUri = AuthenticatorKeys.Uri(account.UserName!, Key);
            QrSvg = QrCodes.Svg(KeyUri, t["Totp_QrLabel"]);
        }
    }
}
