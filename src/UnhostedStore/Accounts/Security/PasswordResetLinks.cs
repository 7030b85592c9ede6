using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>What following a password-reset link came to.</summary>
public enum PasswordResetOutcome
{
    Done,

    /// <summary>Unknown, altered, expired or already used: one answer for all, revealing nothing.</summary>
    InvalidLink,

    /// <summary>The link is good but the new password breaks the password rules.</summary>
    PasswordRejected,
}

/// <summary>
/// One-time links an admin makes so that a person can set a new password (a forgotten password,
/// or a new account made without one): <c>/reset-password?token=…</c>, valid for
/// <see cref="Lifetime"/>. The token is Identity's password-reset token, made by this provider:
/// the account id, the time it was made and the account's security stamp, encrypted and signed
/// with the server's data-protection keys (shared by every instance). Nothing is stored; the new
/// password changes the security stamp, which makes the link (and any older one) useless.
/// The time comes from <see cref="TimeProvider"/>, unlike Identity's own provider.
/// </summary>
public sealed class PasswordResetLinks(IDataProtectionProvider protection, TimeProvider clock) : IUserTwoFactorTokenProvider<UserAccount>
{
    public const string ProviderName = "PasswordResetLink";

    public const string Path = "/reset-password";

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>A protected payload is far shorter; anything longer is not one of ours.</summary>
    private const int MaxTokenLength = 2048;

    private IDataProtector Protector => protection.CreateProtector("UnhostedStore.PasswordResetLink");

    public static string LinkPath(string token) => Path + "?token=" + Uri.EscapeDataString(token);

    public Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<UserAccount> manager, UserAccount user) => Task.FromResult(false);

    public async Task<string> GenerateAsync(string purpose, UserManager<UserAccount> manager, UserAccount user)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(clock.GetUtcNow().UtcTicks);
            writer.Write(await manager.GetUserIdAsync(user));
            writer.Write(purpose);
            writer.Write(await manager.GetSecurityStampAsync(user) ?? string.Empty);
        }

        return WebEncoders.Base64UrlEncode(Protector.Protect(buffer.ToArray()));
    }

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<UserAccount> manager, UserAccount user)
    {
        if (Read(token) is not { } payload || payload.Purpose != purpose || payload.UserId != await manager.GetUserIdAsync(user))
        {
            return false;
        }

        var age = clock.GetUtcNow() - payload.Created;
        var stamp = Encoding.UTF8.GetBytes(await manager.GetSecurityStampAsync(user) ?? string.Empty);
        return age >= TimeSpan.Zero && age < Lifetime
            && CryptographicOperations.FixedTimeEquals(stamp, Encoding.UTF8.GetBytes(payload.Stamp));
    }

    /// <summary>Makes a link for <paramref name="user"/>; returns the token to put in it.</summary>
    public static Task<string> CreateAsync(UserManager<UserAccount> users, UserAccount user) => users.GeneratePasswordResetTokenAsync(user);

    /// <summary>The account a link is for while it is still good, else null.</summary>
    public async Task<UserAccount?> FindUserAsync(UserManager<UserAccount> users, string? token)
    {
        if (Read(token) is not { } payload || await users.FindByIdAsync(payload.UserId) is not { } user)
        {
            return null;
        }

        return await users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider, UserManager<UserAccount>.ResetPasswordTokenPurpose, token!) ? user : null;
    }

    /// <summary>Sets the new password if the link is still good, using the link up; also lifts a
    /// lockout from failed attempts.</summary>
    public async Task<(PasswordResetOutcome Outcome, IdentityResult? Result)> ResetAsync(UserManager<UserAccount> users, string? token, string newPassword)
    {
        if (await FindUserAsync(users, token) is not { } user)
        {
            return (PasswordResetOutcome.InvalidLink, null);
        }

        var result = await users.ResetPasswordAsync(user, token!, newPassword);
        if (!result.Succeeded)
        {
            // A link that stopped working in between (used in another tab) says so; anything else
            // is about the password.
            return result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken) || e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure))
                ? (PasswordResetOutcome.InvalidLink, null)
                : (PasswordResetOutcome.PasswordRejected, result);
        }

        await AccountCommands.UnlockAsync(users, user);
        return (PasswordResetOutcome.Done, result);
    }

    private Payload? Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }

        try
        {
            var bytes = Protector.Unprotect(WebEncoders.Base64UrlDecode(token));
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            var created = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            return new Payload(created, reader.ReadString(), reader.ReadString(), reader.ReadString());
        }
        catch (Exception e) when (e is CryptographicException or FormatException or EndOfStreamException or ArgumentException)
        {
            return null;
        }
    }

    private sealed record Payload(DateTimeOffset Created, string UserId, string Purpose, string Stamp);
}
