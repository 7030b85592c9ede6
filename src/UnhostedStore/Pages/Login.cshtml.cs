using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages;

public sealed class LoginModel(SignInManager<UserAccount> signIn, PageRateLimiter limiter) : PageModel
{
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

        var result = await signIn.PasswordSignInAsync(UserName.Trim(), Password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            // Only local return URLs: the login form must never become an open redirect.
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/account");
        }

        limiter.FailedLogins.Record(HttpContext);

        ModelState.AddModelError(string.Empty, result.IsLockedOut
            ? "Too many failed attempts. This account is locked for a while; try again later."
            : "The user name or password is not right.");
        return Page();
    }

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
