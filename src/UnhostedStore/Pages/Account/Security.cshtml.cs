using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// How the person logs in: passkeys (add, rename, remove), the authenticator app (two-step
/// verification), recovery codes and the password. Adding a passkey and every removal need a
/// recent login (<see cref="RecentLogin"/>). Nothing here may leave an account without a way in,
/// or without a second factor while the server requires one.
/// </summary>
[Authorize]
public sealed class SecurityModel(AccountSignIn signIn, LoginPolicy policy, TimeProvider clock, IStringLocalizer<AccountText> t, AuditTrail audit) : PageModel
{
    public const int MaxPasskeyName = 100;

    [TempData]
    public string? Message { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string UserName { get; private set; } = string.Empty;

    public IReadOnlyList<PasskeyRow> Passkeys { get; private set; } = [];

    public bool TwoFactorEnabled { get; private set; }

    public bool HasPassword { get; private set; }

    public int RecoveryCodesLeft { get; private set; }

    public bool Required { get; private set; }

    /// <summary>This login still has to set up a second factor before anything else.</summary>
    public bool MustEnrol => User.HasClaim(c => c.Type == RecentLogin.MustEnrolClaim);

    public bool CanRemovePassword => HasPassword && Passkeys.Count > 0 && RecoveryCodesLeft > 0;

    public sealed record PasskeyRow(string Id, string Name, DateTimeOffset CreatedUtc, DateTime? LastUsedUtc);

    private UserManager<UserAccount> Users => signIn.UserManager;

    public async Task<IActionResult> OnGetAsync() =>
        await Users.GetUserAsync(User) is { } account ? await ShowAsync(account) : Challenge();

    /// <summary>Options for a new passkey of this account; <c>{ reauth }</c> when the login is too old.</summary>
    public async Task<IActionResult> OnPostPasskeyCreationOptionsAsync()
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (!RecentLogin.IsFresh(HttpContext))
        {
            return new JsonResult(new { reauth = RecentLogin.ReauthUrl(Request, PageUrl()) });
        }

        var entity = new PasskeyUserEntity { Id = account.Id, Name = account.UserName!, DisplayName = account.UserName! };
        return Content(await signIn.MakePasskeyCreationOptionsAsync(entity), "application/json");
    }

    public async Task<IActionResult> OnPostAddPasskeyAsync(string? credential, string? name)
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (!RecentLogin.IsFresh(HttpContext))
        {
            return RecentLogin.Challenge(HttpContext, PageUrl());
        }

        var attestation = await signIn.VerifyNewPasskeyAsync(credential);
        if (attestation is not { Succeeded: true } || attestation.UserEntity.Id != account.Id)
        {
            ModelState.AddModelError(string.Empty, attestation?.Failure?.Message.Contains("already registered", StringComparison.OrdinalIgnoreCase) == true
                ? t["Passkey_AlreadyRegistered"]
                : t["Passkey_AddFailed"]);
            return await ShowAsync(account);
        }

        var passkey = attestation.Passkey;
        passkey.Name = CleanName(name) ?? t["Passkey_DefaultName", clock.GetUtcNow().ToString(t["Passkey_DefaultNameDate"], System.Globalization.CultureInfo.CurrentCulture)];
        var added = await Users.AddOrUpdatePasskeyAsync(account, passkey);
        if (!added.Succeeded)
        {
            ModelState.AddModelError(string.Empty, t["Passkey_AddFailed"]);
            return await ShowAsync(account);
        }

        await signIn.RefreshSignInAsync(account);
        await audit.RecordAsync(AuditKind.PasskeyAdded, account, Actor(account), $"Passkey “{passkey.Name}”.");
        Message = t["Passkey_Added", passkey.Name!];
        return AfterChange();
    }

    public async Task<IActionResult> OnPostRenamePasskeyAsync(string? id, string? name)
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (await FindPasskeyAsync(account, id) is not { } passkey || CleanName(name) is not { } newName)
        {
            ModelState.AddModelError(string.Empty, t["Passkey_NameRequired"]);
            return await ShowAsync(account);
        }

        passkey.Name = newName;
        await Users.AddOrUpdatePasskeyAsync(account, passkey);
        Message = t["Passkey_Renamed", newName];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRemovePasskeyAsync(string? id)
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (!RecentLogin.IsFresh(HttpContext))
        {
            return RecentLogin.Challenge(HttpContext, PageUrl());
        }

        if (await FindPasskeyAsync(account, id) is not { } passkey)
        {
            return RedirectToPage();
        }

        var others = (await Users.GetPasskeysAsync(account)).Count - 1;
        if (others == 0 && !await Users.HasPasswordAsync(account))
        {
            return await RefuseAsync(account, t["Passkey_OnlyOne"]);
        }

        if (others == 0 && await policy.RequireTwoFactorAsync(HttpContext.RequestAborted) && !await Users.GetTwoFactorEnabledAsync(account))
        {
            return await RefuseAsync(account, t["Passkey_Required2fa"]);
        }

        await Users.RemovePasskeyAsync(account, passkey.CredentialId);
        await PasskeyUses.ForgetAsync(Users, account, passkey.CredentialId);
        await signIn.RefreshSignInAsync(account);
        await audit.RecordAsync(AuditKind.PasskeyRemoved, account, Actor(account), $"Passkey “{passkey.Name}”.");
        Message = t["Passkey_Removed", passkey.Name!];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDisableTwoFactorAsync()
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (!RecentLogin.IsFresh(HttpContext))
        {
            return RecentLogin.Challenge(HttpContext, PageUrl());
        }

        if (await policy.RequireTwoFactorAsync(HttpContext.RequestAborted) && (await Users.GetPasskeysAsync(account)).Count == 0)
        {
            return await RefuseAsync(account, t["Totp_Required"]);
        }

        await Users.SetTwoFactorEnabledAsync(account, false);

        // The old key is of no use any more; setting up again starts with a new one.
        await Users.ResetAuthenticatorKeyAsync(account);
        await signIn.RefreshSignInAsync(account);
        await audit.RecordAsync(AuditKind.TwoFactorDisabled, account, Actor(account), "The authenticator app no longer logs in.");
        Message = t["Totp_TurnedOff"];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRemovePasswordAsync()
    {
        if (await Users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        if (!RecentLogin.IsFresh(HttpContext))
        {
            return RecentLogin.Challenge(HttpContext, PageUrl());
        }

        if ((await Users.GetPasskeysAsync(account)).Count == 0 || await Users.CountRecoveryCodesAsync(account) == 0)
        {
            return await RefuseAsync(account, t["Password_CannotRemove"]);
        }

        await Users.RemovePasswordAsync(account);
        await signIn.RefreshSignInAsync(account);
        await audit.RecordAsync(AuditKind.PasswordRemoved, account, Actor(account), "Logs in with passkeys only.");
        Message = t["Password_Removed"];
        return RedirectToPage();
    }

    private async Task<IActionResult> ShowAsync(UserAccount account)
    {
        UserName = account.UserName!;
        var passkeys = await Users.GetPasskeysAsync(account);
        var rows = new List<PasskeyRow>();
        foreach (var p in passkeys.OrderBy(p => p.CreatedAt))
        {
            rows.Add(new PasskeyRow(WebEncoders.Base64UrlEncode(p.CredentialId), p.Name ?? "Passkey", p.CreatedAt, await PasskeyUses.LastUsedAsync(Users, account, p.CredentialId)));
        }

        Passkeys = rows;
        TwoFactorEnabled = await Users.GetTwoFactorEnabledAsync(account);
        HasPassword = await Users.HasPasswordAsync(account);
        RecoveryCodesLeft = await Users.CountRecoveryCodesAsync(account);
        Required = await policy.RequireTwoFactorAsync(HttpContext.RequestAborted);
        return Page();
    }

    private AuditActor Actor(UserAccount account) => AuditActor.Person(HttpContext, account.UserName!);

    private async Task<IActionResult> RefuseAsync(UserAccount account, string reason)
    {
        ModelState.AddModelError(string.Empty, reason);
        return await ShowAsync(account);
    }

    private async Task<UserPasskeyInfo?> FindPasskeyAsync(UserAccount account, string? id)
    {
        byte[] credentialId;
        try
        {
            credentialId = WebEncoders.Base64UrlDecode(id ?? string.Empty);
        }
        catch (FormatException)
        {
            return null;
        }

        return credentialId.Length == 0 ? null : await Users.GetPasskeyAsync(account, credentialId);
    }

    private static string? CleanName(string? name)
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed[..Math.Min(trimmed.Length, MaxPasskeyName)];
    }

    /// <summary>This page again, keeping where the person was going.</summary>
    private string PageUrl() => TwoFactorEnrolmentGate.SecurityPath + (Url.IsLocalUrl(ReturnUrl) ? "?ReturnUrl=" + Uri.EscapeDataString(ReturnUrl!) : string.Empty);

    /// <summary>After a second factor is added: on to where the person was going when the server
    /// sent them here to set one up (an app's consent page, say), else back here.</summary>
    private IActionResult AfterChange() =>
        Url.IsLocalUrl(ReturnUrl) && !User.HasClaim(c => c.Type == RecentLogin.MustEnrolClaim) ? LocalRedirect(ReturnUrl!) : RedirectToPage(new { ReturnUrl });

    public static string Iso(DateTimeOffset utc) => utc.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public static string When(DateTimeOffset utc) => utc.UtcDateTime.ToString(Words.Of<AccountText>()["Security_DateFormat"], System.Globalization.CultureInfo.CurrentCulture);
}
