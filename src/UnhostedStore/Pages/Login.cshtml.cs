using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

public sealed class LoginModel(
    SignInManager<UserAccount> signIn,
    PageRateLimiter limiter,
    StorageDbContext db,
    AccountDeletions deletions,
    IDataProtectionProvider protection) : PageModel
{
    /// <summary>How long the "cancel deletion" choice stays valid after the right password.</summary>
    private static readonly TimeSpan CancelTicketLifetime = TimeSpan.FromMinutes(15);

    [BindProperty]
    [Required]
    [StringLength(64)]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    [Required]
    [StringLength(1024)]
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

        // Per client IP, whichever accounts it tries (accounts also lock themselves).
        if (limiter.FailedLogins.Check(HttpContext) is { } wait)
        {
            Response.Headers.RetryAfter = FailureThrottle.RetryAfterSeconds(wait);
            ModelState.AddModelError(string.Empty, $"Too many failed logins from your network. Try again in {FailureThrottle.RetryAfterSeconds(wait)} seconds.");
            var page = Page();
            page.StatusCode = StatusCodes.Status429TooManyRequests;
            return page;
        }

        var name = UserName.Trim();
        if (await PendingDeletions.FindAsync(db, name, HttpContext.RequestAborted) is { } pending)
        {
            // A leaving account never logs in; the right password shows when it will be erased
            // and how to cancel. A wrong one gets the usual answer, so nothing is revealed.
            var check = await signIn.UserManager.FindByNameAsync(name) is { } account
                ? await signIn.CheckPasswordSignInAsync(account, Password, lockoutOnFailure: true)
                : Microsoft.AspNetCore.Identity.SignInResult.Failed;
            if (check.Succeeded)
            {
                PendingDeletion = pending;
                CancelTicket = Protector().Protect(name, CancelTicketLifetime);
                return Page();
            }

            return Refused(check);
        }

        var result = await signIn.PasswordSignInAsync(name, Password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            // Only local return URLs: the login form must never become an open redirect.
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account");
        }

        return Refused(result);
    }

    /// <summary>"Cancel deletion", after the right password: the account comes back as it was
    /// (apps, public links) and the person is logged in.</summary>
    public async Task<IActionResult> OnPostCancelDeletionAsync(string? ticket)
    {
        ModelState.Clear();
        string name;
        try
        {
            name = Protector().Unprotect(ticket ?? string.Empty);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            ModelState.AddModelError(string.Empty, "That page was open too long. Log in again to cancel the deletion.");
            return Page();
        }

        var result = await deletions.CancelAsync(name, HttpContext.RequestAborted);
        if (result == CancelResult.AlreadyErasing)
        {
            ModelState.AddModelError(string.Empty, "Too late: your account is being erased right now, and it can no longer be brought back.");
            return Page();
        }

        if (await signIn.UserManager.FindByNameAsync(name) is not { } account)
        {
            ModelState.AddModelError(string.Empty, "This account no longer exists.");
            return Page();
        }

        await signIn.SignInAsync(account, isPersistent: true);
        TempData["Message"] = "Your account is no longer being deleted. Everything is as it was: your documents, your apps and your public links.";
        return LocalRedirect("/account");
    }

    private PageResult Refused(Microsoft.AspNetCore.Identity.SignInResult result)
    {
        limiter.FailedLogins.Record(HttpContext);
        ModelState.AddModelError(string.Empty, result.IsLockedOut
            ? "Too many failed attempts. This account is locked for a while; try again later."
            : "The user name or password is not right.");
        return Page();
    }

    private ITimeLimitedDataProtector Protector() =>
        protection.CreateProtector("UnhostedStore.Login.CancelDeletion").ToTimeLimitedDataProtector();

    public static string When(DateTime utc) => PendingDeletions.Describe(utc);

    /// <summary>On the way to an app's consent, a login can end at the app (when the app was
    /// allowed before): the page's CSP form-action must allow that redirect.</summary>
    private void AllowReturnToApp()
    {
        if (!Url.IsLocalUrl(ReturnUrl) || !ReturnUrl!.StartsWith(OAuthServices.AuthorizePath + "?", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var query = QueryHelpers.ParseQuery(ReturnUrl[OAuthServices.AuthorizePath.Length..]);
        if (query.TryGetValue("redirect_uri", out var redirectUri) && redirectUri.Count == 1)
        {
            SecurityHeadersMiddleware.AllowFormActionTo(HttpContext, redirectUri[0]);
        }
    }
}
