using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// The settings an admin changes at run time, kept in the database so that every instance
/// follows them at once (as the CLI's <c>settings</c> commands): who may sign up
/// (<see cref="SignupSettings"/>) and whether every account needs a second factor
/// (<see cref="LoginPolicy"/>). Changing either needs a login from the last 10 minutes, and is
/// recorded in the audit log as the administrator's.
/// </summary>
public sealed class SettingsModel(SignupSettings signup, LoginPolicy policy, AuditTrail audit) : PageModel
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
            ModelState.AddModelError(string.Empty, AdminWords.Text["Settings_ChooseSignup"]);
            return Page();
        }

        await signup.SetAsync(chosen, ct);
        await RecordAsync("Sign-up is now " + SignupSettings.Describe(chosen) + " (on the admin pages).");
        TempData["Message"] = AdminWords.Text["Settings_SignupNow", AdminWords.Signup(chosen)].Value;
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
            ModelState.AddModelError(string.Empty, AdminWords.Text["Settings_ChooseTwoFactor"]);
            return Page();
        }

        await policy.SetRequireTwoFactorAsync(required == "on", ct);
        await RecordAsync(required == "on" ? "Two-step verification is now required (on the admin pages)." : "Two-step verification is now optional (on the admin pages).");
        TempData["Message"] = AdminWords.Text[required == "on" ? "Settings_RequiredNow" : "Settings_OptionalNow"].Value;
        return RedirectToPage();
    }

    private Task RecordAsync(string detail) =>
        audit.RecordAsync(AuditKind.AdminSettingChanged, (string?)null, AuditActor.Admin(HttpContext, User.Identity!.Name!), detail);

    private async Task LoadAsync(CancellationToken ct)
    {
        Signup = await signup.GetAsync(ct);
        RequireTwoFactor = await policy.RequireTwoFactorAsync(ct);
    }
}
