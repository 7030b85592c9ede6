using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Localization;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

public sealed class LoginModel(
    AccountSignIn signIn,
    PageRateLimiter limiter,
    StorageDbContext db,
    AccountDeletions deletions,
    IDataProtectionProvider protection,
    AuditTrail audit,
    IStringLocalizer<AccountText> t) : PageModel
{
    /// <summary>How long the "cancel deletion" choice stays valid after the right password.</summary>
    private static readonly TimeSpan CancelTicketLifetime = TimeSpan.FromMinutes(15);

    // How the cancel ticket's holder proved who they are: the password (a second factor may
    // still follow) or a passkey (two factors already).
    private const string ByPassword = "|pwd";
    private const string ByPasskey = "|passkey";

    /// <summary>Only after the right password or passkey (AccountSignIn): nobody else learns it.</summary>
    private string Disabled => t["Login_Disabled"];

    [BindProperty]
    [Required(ErrorMessage = "Setup_Required")]
    [StringLength(64, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Login_UserName")]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    [Required(ErrorMessage = "Setup_Required")]
    [StringLength(1024, ErrorMessage = "Setup_MaxLength")]
    [Display(Name = "Login_Password")]
    public string Password { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>Set after the right password of an account that is leaving: the page then offers
    /// to cancel instead of logging in.</summary>
    public AccountDeletion? PendingDeletion { get; private set; }

    /// <summary>Proof, for the cancel form, that the password was right a moment ago.</summary>
    public string? CancelTicket { get; private set; }

    public void OnGet() => AllowReturnToApp();

    public async Task<IActionResult> OnPostAsync()
    {
        AllowReturnToApp();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Per client IP, whichever accounts it tries; then per IP and name (LoginLockout).
        if (limiter.FailedLogins.Check(HttpContext) is { } wait)
        {
            return TooManyFailures(wait);
        }

        var name = UserName.Trim();
        var check = await signIn.CheckLoginPasswordAsync(name, Password);
        if (check.LockedFor is { } locked)
        {
            return LockedHere(locked);
        }

        if (check.User is not { } account)
        {
            // The same words, and about the same time, for a name that exists and one that does not.
            limiter.FailedLogins.Record(HttpContext);
            ModelState.AddModelError(string.Empty, t["Login_NotRight"]);
            return Page();
        }

        if (await PendingDeletions.FindAsync(db, name, HttpContext.RequestAborted) is { } pending)
        {
            // A leaving account never logs in; the right password shows when it will be erased
            // and how to cancel.
            PendingDeletion = pending;
            CancelTicket = Protector().Protect(name + ByPassword, CancelTicketLifetime);
            return Page();
        }

        var result = await signIn.SignInAfterPasswordAsync(account);
        if (result.RequiresTwoFactor)
        {
            return Redirect(LoginTwoFactorModel.PathFor(SafeReturnUrl));
        }

        return result.Succeeded ? AfterLogin() : Refused(result);
    }

    /// <summary>The options for "Sign in with a passkey" (and the browser's passkey autofill):
    /// a challenge and no user at all, so that nothing tells which accounts exist (discoverable
    /// credentials; the passkey names its account).</summary>
    public async Task<IActionResult> OnPostPasskeyOptionsAsync() =>
        Content(await signIn.MakePasskeyRequestOptionsAsync(null), "application/json");

    /// <summary>The browser's answer to those options (WebAuthn §7.2, checked by Identity).</summary>
    public async Task<IActionResult> OnPostPasskeyAsync(string? credential)
    {
        AllowReturnToApp();
        ModelState.Clear();
        if (limiter.FailedLogins.Check(HttpContext) is { } wait)
        {
            return TooManyFailures(wait);
        }

        var assertion = await signIn.VerifyPasskeyAsync(credential);
        if (assertion is not { Succeeded: true })
        {
            limiter.FailedLogins.Record(HttpContext);
            ModelState.AddModelError(string.Empty, t["Login_PasskeyRejected"]);
            return Page();
        }

        var name = assertion.User.UserName!;
        if (await PendingDeletions.FindAsync(db, name, HttpContext.RequestAborted) is { } pending)
        {
            PendingDeletion = pending;
            CancelTicket = Protector().Protect(name + ByPasskey, CancelTicketLifetime);
            return Page();
        }

        var result = await signIn.PasskeySignInAsync(assertion);
        if (result.Succeeded)
        {
            return AfterLogin();
        }

        limiter.FailedLogins.Record(HttpContext);
        ModelState.AddModelError(string.Empty, result.IsLockedOut
            ? t["Login_Locked"]
            : result.IsNotAllowed ? Disabled : t["Login_PasskeyRejected"]);
        return Page();
    }

    /// <summary>Only local return URLs: the login must never become an open redirect.</summary>
    private string SafeReturnUrl => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account";

    /// <summary>Logged in: on to where the person was going, unless the server requires a second
    /// factor they do not have yet; then they set one up first and go on afterwards.</summary>
    private LocalRedirectResult AfterLogin() =>
        HttpContext.User.HasClaim(c => c.Type == RecentLogin.MustEnrolClaim)
            ? LocalRedirect(TwoFactorEnrolmentGate.SecurityPath + "?ReturnUrl=" + Uri.EscapeDataString(SafeReturnUrl))
            : LocalRedirect(SafeReturnUrl);

    /// <summary>This client has had too many wrong passwords for this name; any other network
    /// still logs in to it.</summary>
    private PageResult LockedHere(TimeSpan wait)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes));
        Response.Headers.RetryAfter = FailureThrottle.RetryAfterSeconds(wait);
        ModelState.AddModelError(string.Empty, minutes == 1 ? t["Login_LockedHereMinute"] : t["Login_LockedHereMinutes", minutes]);
        var page = Page();
        page.StatusCode = StatusCodes.Status429TooManyRequests;
        return page;
    }

    private PageResult TooManyFailures(TimeSpan wait)
    {
        Response.Headers.RetryAfter = FailureThrottle.RetryAfterSeconds(wait);
        ModelState.AddModelError(string.Empty, t["Login_Throttled", FailureThrottle.RetryAfterSeconds(wait)]);
        var page = Page();
        page.StatusCode = StatusCodes.Status429TooManyRequests;
        return page;
    }

    /// <summary>"Cancel deletion", after the right password: the account comes back as it was
    /// (apps, public links) and the person is logged in.</summary>
    public async Task<IActionResult> OnPostCancelDeletionAsync(string? ticket)
    {
        ModelState.Clear();
        string name, proof;
        try
        {
            var holder = Protector().Unprotect(ticket ?? string.Empty);
            var bar = holder.IndexOf('|', StringComparison.Ordinal);
            (name, proof) = bar < 0 ? (holder, ByPassword) : (holder[..bar], holder[bar..]);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            ModelState.AddModelError(string.Empty, t["Login_TicketExpired"]);
            return Page();
        }

        // A disabled account stays as the admin left it, deletion and all.
        if (await AccountStates.IsDisabledAsync(db, name, HttpContext.RequestAborted))
        {
            ModelState.AddModelError(string.Empty, Disabled);
            return Page();
        }

        var result = await deletions.CancelAsync(name, HttpContext.RequestAborted);
        if (result == CancelResult.AlreadyErasing)
        {
            ModelState.AddModelError(string.Empty, t["Login_TooLate"]);
            return Page();
        }

        if (await signIn.UserManager.FindByNameAsync(name) is not { } account)
        {
            ModelState.AddModelError(string.Empty, t["Login_Gone"]);
            return Page();
        }

        await audit.RecordAsync(AuditKind.AccountDeletionCancelled, account, AuditActor.Person(HttpContext, name), proof == ByPasskey ? "After a passkey login." : "After the password.");

        string back = t["Login_DeletionCancelled"];
        if (proof == ByPasskey)
        {
            await signIn.SignInWithClaimsAsync(account, isPersistent: true, [new Claim(RecentLogin.MethodClaim, AccountSignIn.PasskeyMethod)]);
        }
        else if ((await signIn.PasswordCheckedSignInAsync(account)).RequiresTwoFactor)
        {
            // The password alone never logs in an account that has a second factor.
            TempData["Message"] = t["Login_DeletionCancelledCode", back].Value;
            return Redirect(LoginTwoFactorModel.PathFor("/account"));
        }

        TempData["Message"] = back;
        return HttpContext.User.HasClaim(c => c.Type == RecentLogin.MustEnrolClaim)
            ? LocalRedirect(TwoFactorEnrolmentGate.SecurityPath)
            : LocalRedirect("/account");
    }

    private PageResult Refused(Microsoft.AspNetCore.Identity.SignInResult result)
    {
        limiter.FailedLogins.Record(HttpContext);
        ModelState.AddModelError(string.Empty, result.IsLockedOut
            ? t["Login_Locked"]
            : result.IsNotAllowed ? Disabled : t["Login_NotRight"]);
        return Page();
    }

    private ITimeLimitedDataProtector Protector() =>
        protection.CreateProtector("UnhostedStore.Login.CancelDeletion").ToTimeLimitedDataProtector();

    public static string When(DateTime utc) => Account.DeleteModel.When(utc);

    private void AllowReturnToApp() => AllowReturnToApp(HttpContext, Url, ReturnUrl);

    /// <summary>On the way to an app's consent, a login can end at the app (when the app was
    /// allowed before): the page's CSP form-action must allow that redirect. Also for the login's
    /// later steps (second factor, recovery code).</summary>
    public static void AllowReturnToApp(HttpContext context, IUrlHelper url, string? returnUrl)
    {
        if (!url.IsLocalUrl(returnUrl) || !returnUrl!.StartsWith(OAuthServices.AuthorizePath + "?", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var query = QueryHelpers.ParseQuery(returnUrl[OAuthServices.AuthorizePath.Length..]);
        if (query.TryGetValue("redirect_uri", out var redirectUri) && redirectUri.Count == 1)
        {
            SecurityHeadersMiddleware.AllowFormActionTo(context, redirectUri[0]);
        }
    }
}
