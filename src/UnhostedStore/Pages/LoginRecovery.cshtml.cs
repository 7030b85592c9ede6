using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

/// <summary>
/// A one-time recovery code instead of the authenticator app's code (after the password), or,
/// for an account without a password, instead of its passkey (user name and code). Each code
/// works once; wrong codes count toward the account lockout and the per-network limit.
/// </summary>
public sealed class LoginRecoveryModel(AccountSignIn signIn, PageRateLimiter limiter, StorageDbContext db, AuditTrail audit) : PageModel
{
    public const string Path = "/login/recovery";

    private const string NotRight = "That recovery code is not right. Each code works only once. If your account has a password, log in with it first: a recovery code then replaces only the authenticator app's code.";

    [BindProperty]
    [StringLength(64)]
    public string? UserName { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Enter one of your recovery codes.")]
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
            ModelState.AddModelError(string.Empty, $"Too many failed logins from your network. Try again in {FailureThrottle.RetryAfterSeconds(wait)} seconds.");
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
            ModelState.AddModelError(string.Empty, "Too many failed attempts for this user name from your network. Try again later.");
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
            ModelState.AddModelError(string.Empty, result.IsLockedOut ? "Too many wrong codes. This account is locked for a while; try again later." : NotRight);
            return Page();
        }

        var left = await signIn.UserManager.CountRecoveryCodesAsync(user!);
        if (!AfterPassword)
        {
            // In with a code instead of the passkey: the passkey is probably lost.
            TempData["Message"] = $"You logged in with a recovery code ({Left(left)}). Add a new passkey now, and remove the one you lost.";
            return LocalRedirect(TwoFactorEnrolmentGate.SecurityPath);
        }

        TempData["Message"] = $"You logged in with a recovery code ({Left(left)}).";
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

    private static string Left(int count) => count switch
    {
        0 => "that was your last one: make new ones on the security page",
        1 => "1 code left",
        _ => $"{count} codes left",
    };
}
