using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// When each passkey last logged in, for the security page (Identity keeps only the creation
/// time). One user token per passkey, named by a hash of its credential id (ids can be up to
/// 1023 bytes, token names 128 characters); the tokens go with the account when it is erased.
/// </summary>
public static class PasskeyUses
{
    private const string Provider = "[UnhostedStore]";

    public static async Task RecordAsync(UserManager<UserAccount> users, UserAccount user, byte[] credentialId, TimeProvider clock) =>
        await users.SetAuthenticationTokenAsync(user, Provider, Name(credentialId), clock.GetUtcNow().UtcDateTime.ToString("O", CultureInfo.InvariantCulture));

    public static async Task<DateTime?> LastUsedAsync(UserManager<UserAccount> users, UserAccount user, byte[] credentialId) =>
        await users.GetAuthenticationTokenAsync(user, Provider, Name(credentialId)) is { } value
            && DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
            ? at
            : null;

    public static async Task ForgetAsync(UserManager<UserAccount> users, UserAccount user, byte[] credentialId) =>
        await users.RemoveAuthenticationTokenAsync(user, Provider, Name(credentialId));

    private static string Name(byte[] credentialId) => "PasskeyLastUsed:" + WebEncoders.Base64UrlEncode(SHA256.HashData(credentialId));
}
