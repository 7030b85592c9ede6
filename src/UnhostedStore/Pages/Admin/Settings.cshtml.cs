using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// The settings an admin changes at run time, kept in the database so that every instance
/// follows them at once (as the CLI's <c>settings</c> commands): who may sign up
/// (<see cref="SignupSettings"/>) and whether every account needs a second factor
/// (<see cref="LoginPolicy"/>). Changing either needs a login from the last 10 minutes.
/// </summary>
public sealed class SettingsModel(SignupSettings signup, LoginPolicy policy) : PageModel
{
    public SignupPolicy Signup { get; private set; }

    public bool RequireTwoFactor { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostSignupAsync(string? policyName, CancellationToken ct)
    {
        if (!RecentLogin.IsFresh(HttpContext))
        {
            return RecentLogin.Challenge(HttpContext);
        }

        if (!SignupSettings.TryParse(policyName, out var chosen))
        {
            await LoadAsync(ct);
            ModelState.AddModelError(string.Empty, "Choose who may create an account.");
            return Page();
        }

        await signup.SetAsync(chosen, ct);
        TempData["Message"] = "Sign-up is now " + SignupSettings.Describe(chosen) + ".";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostTwoFactorAsync(string? required, CancellationToken ct)
    {
        if (!RecentLogin.IsFresh(HttpContext))
        {
            return RecentLogin.Challenge(HttpContext);
        }

        if (required is not ("on" or "off"))
        {
            await LoadAsync(ct);
            ModelState.AddModelError(string.Empty, "Choose whether two-step verification is required.");
            return Page();
        }

        await policy.SetRequireTwoFactorAsync(required == "on", ct);
        TempData["Message"] = required == "on"
            ? "Two-step verification is now required: people without an authenticator app or a passkey set one up at their next password login."
            : "Two-step verification is now optional.";
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Signup = await signup.GetAsync(ct);
        RequireTwoFactor = await policy.RequireTwoFactorAsync(ct);
    }
}
