using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Pages.Text;

namespace UnhostedStore.Pages;

/// <summary>
/// The second step of a password login for an account with an authenticator app: its current
/// 6-digit code (RFC 6238 TOTP). Wrong codes count toward the account lockout and toward the
/// per-network limit of failed logins, as wrong passwords do.
/// </summary>
public sealed class LoginTwoFactorModel(AccountSignIn signIn, PageRateLimiter limiter, IStringLocalizer<AccountText> t) : PageModel
{
    public const string Path = "/login/2fa";

    [BindProperty]
    [Required(ErrorMessage = "TwoFactor_CodeRequired")]
    [StringLength(32)]
    public string Code { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public static string PathFor(string? returnUrl) =>
        Path + (string.IsNullOrEmpty(returnUrl) ? string.Empty : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl));

    public async Task<IActionResult> OnGetAsync()
    {
        LoginModel.AllowReturnToApp(HttpContext, Url, ReturnUrl);
        return await signIn.GetTwoFactorAuthenticationUserAsync() is null ? Expired() : Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        LoginModel.AllowReturnToApp(HttpContext, Url, ReturnUrl);
        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (limiter.FailedLogins.Check(HttpContext) is { } wait)
        {
            Response.Headers.RetryAfter = FailureThrottle.RetryAfterSeconds(wait);
            ModelState.AddModelError(string.Empty, t["Login_Throttled", FailureThrottle.RetryAfterSeconds(wait)]);
            var page = Page();
            page.StatusCode = StatusCodes.Status429TooManyRequests;
            return page;
        }

        if (await signIn.GetTwoFactorAuthenticationUserAsync() is null)
        {
            return Expired();
        }

        var result = await signIn.TwoFactorAuthenticatorSignInAsync(AuthenticatorKeys.CleanCode(Code), isPersistent: true, rememberClient: false);
        if (result.Succeeded)
        {
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account");
        }

        limiter.FailedLogins.Record(HttpContext);
        ModelState.AddModelError(string.Empty, result.IsLockedOut
            ? t["TwoFactor_Locked"]
            : t["TwoFactor_Wrong"]);
        return Page();
    }

    /// <summary>No password step in this browser (or it was more than 5 minutes ago).</summary>
    private RedirectResult Expired()
    {
        TempData["Message"] = t["TwoFactor_PasswordFirst"].Value;
        return Redirect("/login" + (Url.IsLocalUrl(ReturnUrl) ? "?ReturnUrl=" + Uri.EscapeDataString(ReturnUrl!) : string.Empty));
    }
}
