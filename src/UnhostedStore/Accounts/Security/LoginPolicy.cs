using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// The server's login rules an admin changes at run time: whether every account needs a second
/// factor. Stored as a <see cref="ServerSetting"/> row so that all instances agree at once;
/// <c>Accounts:RequireTwoFactor</c> is only the value until the row exists. Read at each login
/// (no cache), so a change applies to the next login everywhere.
/// </summary>
public sealed class LoginPolicy(SettingsStore settings, UserManager<UserAccount> users, IOptions<AccountOptions> options)
{
    public const string RequireTwoFactorSetting = "Accounts.RequireTwoFactor";

    public async Task<bool> RequireTwoFactorAsync(CancellationToken ct) =>
        await settings.GetAsync(RequireTwoFactorSetting, ct) is { } value ? value == "true" : options.Value.RequireTwoFactor;

    public Task SetRequireTwoFactorAsync(bool required, CancellationToken ct) =>
        settings.SetAsync(RequireTwoFactorSetting, required ? "true" : "false", ct);

    /// <summary>Whether <paramref name="user"/> has a second factor: an authenticator app
    /// (TOTP) turned on, or a passkey.</summary>
    public async Task<bool> HasSecondFactorAsync(UserAccount user) =>
        await users.GetTwoFactorEnabledAsync(user) || (await users.GetPasskeysAsync(user)).Count > 0;

    /// <summary>The server requires a second factor and <paramref name="user"/> has none yet: after
    /// a password login they set one up before anything else.</summary>
    public async Task<bool> MustEnrolAsync(UserAccount user, CancellationToken ct) =>
        await RequireTwoFactorAsync(ct) && !await HasSecondFactorAsync(user);
}
