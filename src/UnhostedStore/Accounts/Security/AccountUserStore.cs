using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.AspNetCore.WebUtilities;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// Identity's EF store, except that two-factor recovery codes are kept only as salted SHA-256
/// hashes: Identity's own store keeps them in plain text in AspNetUserTokens, where anyone who
/// reads the database (or a backup) could log in with them. OWASP ASVS 4.0.3 V2.6.2: lookup
/// secrets of less than 112 bits are stored salted and hashed with an approved hash.
/// </summary>
public sealed class AccountUserStore(StorageDbContext context, IdentityErrorDescriber? describer = null)
    : UserStore<UserAccount, IdentityRole, StorageDbContext>(context, describer)
{
    // The row Identity's UserStoreBase reads and writes, so its CountCodesAsync (which counts the
    // ';'-separated entries) stays right.
    internal const string CodesProvider = "[AspNetUserStore]";

    internal const string CodesName = "RecoveryCodes";

    public override Task ReplaceCodesAsync(UserAccount user, IEnumerable<string> recoveryCodes, CancellationToken cancellationToken) =>
        SetTokenAsync(user, CodesProvider, CodesName, string.Join(';', recoveryCodes.Select(RecoveryCodeHash.Create)), cancellationToken);

    /// <summary>One-time: the matching entry is removed. UserManager saves it together with a new
    /// concurrency stamp, so of two requests with the same code only one succeeds.</summary>
    public override async Task<bool> RedeemCodeAsync(UserAccount user, string code, CancellationToken cancellationToken)
    {
        var stored = await GetTokenAsync(user, CodesProvider, CodesName, cancellationToken) ?? string.Empty;
        var entries = stored.Split(';', StringSplitOptions.RemoveEmptyEntries).ToList();
        var index = entries.FindIndex(entry => RecoveryCodeHash.Matches(entry, code));
        if (index < 0)
        {
            return false;
        }

        entries.RemoveAt(index);
        await SetTokenAsync(user, CodesProvider, CodesName, string.Join(';', entries), cancellationToken);
        return true;
    }
}

/// <summary>
/// A stored recovery code: <c>base64url(salt).base64url(SHA-256(salt ‖ code))</c> with a fresh
/// 16-byte salt per code. Codes are compared as the person may type them: case, spaces and
/// dashes do not matter.
/// </summary>
public static class RecoveryCodeHash
{
    private const int SaltBytes = 16;

    public static string Create(string code)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return WebEncoders.Base64UrlEncode(salt) + "." + WebEncoders.Base64UrlEncode(Hash(salt, code));
    }

    public static bool Matches(string entry, string code)
    {
        var dot = entry.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = WebEncoders.Base64UrlDecode(entry[..dot]);
            expected = WebEncoders.Base64UrlDecode(entry[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, Hash(salt, code));
    }

    public static string Normalize(string code) =>
        new(code.Where(c => !char.IsWhiteSpace(c) && c != '-').Select(char.ToUpperInvariant).ToArray());

    private static byte[] Hash(byte[] salt, string code)
    {
        var text = Encoding.UTF8.GetBytes(Normalize(code));
        var input = new byte[salt.Length + text.Length];
        salt.CopyTo(input, 0);
        text.CopyTo(input, salt.Length);
        return SHA256.HashData(input);
    }
}
