using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

/// <summary>
/// A one-time recovery code instead of the authenticator app's code (after the password), or,
/// for an account without a password, instead of its passkey (user name and code). Each code
/// works once; wrong codes count toward the account lockout and the per-network limit.
/// </summary>
public sealed class LoginRecoveryModel(AccountSignIn signIn, PageRateLimiter limiter, StorageDbContext db, IStringLocalizer<AccountText> t, AuditTrail audit) : PageModel
{
    public const string Path = "/login/recovery";


    [BindProperty]
    [StringLength(64)]
    public string? UserName { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Recovery_CodeRequired")]
    [StringLength(64)]
    public string Code { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The password step is done in this browser: only the code is asked.</summary>
    public bool AfterPassword { get; private set; }

    public static string PathFor(string? returnUrl) =>
        Path + (string.IsNullOrEmpty(returnUrl) ? string.Empty : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl));

    public async Task OnGetAsync()
    {
        LoginModel.AllowReturnToApp(HttpContext, Url, ReturnUrl);
        AfterPassword = await signIn.GetTwoFactorAuthenticationUserAsync() is not null;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        LoginModel.AllowReturnToApp(HttpContext, Url, ReturnUrl);
        var pending = await signIn.GetTwoFactorAuthenticationUserAsync();
        AfterPassword = pending is not null;
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

        // A code alone is counted per client IP and the name typed, as a password is; after the
        // password, wrong codes count toward the account's own lockout instead.
        var typedName = UserName?.Trim() ?? string.Empty;
        if (!AfterPassword && signIn.LockedFor(typedName) is { } locked)
        {
            Response.Headers.RetryAfter = FailureThrottle.RetryAfterSeconds(locked);
            ModelState.AddModelError(string.Empty, t["Recovery_LockedHere"]);
            var page = Page();
            page.StatusCode = StatusCodes.Status429TooManyRequests;
            return page;
        }

        var user = pending ?? await PasswordlessAccountAsync();
        if (user is null)
        {
            // Which name was typed is not kept: it may belong to an account with a password,
            // and the answer must not differ for it (see PasswordlessAccountAsync).
            await audit.RecordAsync(AuditKind.LoginFailed, (string?)null, AuditActor.Anonymous(HttpContext), "A recovery code without the password, for a name that cannot log in that way.");
        }

        var result = user is null
            ? Microsoft.AspNetCore.Identity.SignInResult.Failed
            : await signIn.RecoveryCodeSignInAsync(user, Code, afterPassword: AfterPassword);
        if (!result.Succeeded)
        {
            if (!AfterPassword)
            {
                signIn.RecordFailure(typedName);
            }

            limiter.FailedLogins.Record(HttpContext);
            ModelState.AddModelError(string.Empty, result.IsLockedOut ? t["TwoFactor_Locked"] : t["Recovery_NotRight"]);
            return Page();
        }

        var left = await signIn.UserManager.CountRecoveryCodesAsync(user!);
        if (!AfterPassword)
        {
            // In with a code instead of the passkey: the passkey is probably lost.
            TempData["Message"] = t["Recovery_LoggedInAddPasskey", Left(left)].Value;
            return LocalRedirect(TwoFactorEnrolmentGate.SecurityPath);
        }

        TempData["Message"] = t["Recovery_LoggedIn", Left(left)].Value;
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account");
    }

    /// <summary>Without the password step, only an account that has no password may use a code
    /// alone; any other name gets the same answer as a wrong code, so nothing tells which names
    /// exist or have a password. A leaving account is never logged in here.</summary>
    private async Task<UserAccount?> PasswordlessAccountAsync()
    {
        var name = UserName?.Trim();
        if (string.IsNullOrEmpty(name) || await signIn.UserManager.FindByNameAsync(name) is not { } user
            || await signIn.UserManager.HasPasswordAsync(user)
            || await PendingDeletions.IsDisabledAsync(db, name, HttpContext.RequestAborted))
        {
            return null;
        }

        return user;
    }

    private string Left(int count) => count switch
    {
        0 => t["Recovery_LeftNone"],
        1 => t["Recovery_LeftOne"],
        _ => t["Recovery_LeftMany", Words.Number(count)],
    };
}
