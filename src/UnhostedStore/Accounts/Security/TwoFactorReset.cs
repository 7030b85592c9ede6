using Microsoft.AspNetCore.Identity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>How an account logs in, as an admin sees it before resetting its second factor.</summary>
public sealed record SignInMethods(bool HasPassword, bool AuthenticatorOn, int Passkeys, int RecoveryCodesLeft, DateTimeOffset? LockedOutUntil);

/// <summary>
/// An admin's reset of someone's two-step verification, for a person who lost the phone with
/// their authenticator app (and their recovery codes): the app is turned off and its key replaced,
/// the recovery codes are gone, and on request the passkeys too. Their sessions end (a new
/// security stamp). If the server requires a second factor, their next password login sets up a
/// new one first (<see cref="LoginPolicy"/>).
/// </summary>
public static class TwoFactorReset
{
    public static async Task<SignInMethods> DescribeAsync(UserManager<UserAccount> users, UserAccount user) => new(
        await users.HasPasswordAsync(user),
        await users.GetTwoFactorEnabledAsync(user),
        (await users.GetPasskeysAsync(user)).Count,
        await users.CountRecoveryCodesAsync(user),
        await users.IsLockedOutAsync(user) ? await users.GetLockoutEndDateAsync(user) : null);

    public static async Task<IdentityResult> ResetAsync(UserManager<UserAccount> users, UserAccount user, bool removePasskeys)
    {
        var steps = new List<Func<Task<IdentityResult>>>
        {
            () => users.SetTwoFactorEnabledAsync(user, false),

            // The old key is of no use any more; setting up again starts with a new one.
            () => users.ResetAuthenticatorKeyAsync(user),
            () => users.RemoveAuthenticationTokenAsync(user, AccountUserStore.CodesProvider, AccountUserStore.CodesName),
        };
        if (removePasskeys)
        {
            foreach (var passkey in await users.GetPasskeysAsync(user))
            {
                steps.Add(() => users.RemovePasskeyAsync(user, passkey.CredentialId));
                steps.Add(async () =>
                {
                    await PasskeyUses.ForgetAsync(users, user, passkey.CredentialId);
                    return IdentityResult.Success;
                });
            }
        }

        steps.Add(() => users.UpdateSecurityStampAsync(user));
        foreach (var step in steps)
        {
            if (await step() is { Succeeded: false } failed)
            {
                return failed;
            }
        }

        return IdentityResult.Success;
    }
}
