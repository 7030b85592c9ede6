using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// Identity's authenticator app codes (RFC 6238 TOTP: HMAC-SHA1 of the 30-second step since the
/// Unix epoch, 6 digits; steps up to 2 before or after now are accepted for clocks that drift),
/// with each code accepted only once (RFC 6238 §5.2; OWASP ASVS 4.0.3 V2.8.4): the step of the
/// last accepted code is kept, and only later steps count. Someone who saw a code cannot use it
/// again while it is still valid.
/// </summary>
public sealed class OneTimeAuthenticatorTokenProvider(TimeProvider clock) : AuthenticatorTokenProvider<UserAccount>
{
    public const string ProviderName = "OneTimeAuthenticator";

    private const string Provider = "[UnhostedStore]";

    private const string LastStepName = "AuthenticatorLastStep";

    public override async Task<bool> ValidateAsync(string purpose, string token, UserManager<UserAccount> manager, UserAccount user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (key is null || token.Length != 6 || !int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            return false;
        }

        var secret = Base32(key);
        var now = clock.GetUtcNow().ToUnixTimeSeconds() / 30;
        var last = long.TryParse(await manager.GetAuthenticationTokenAsync(user, Provider, LastStepName), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var step) ? step : long.MinValue;
        for (var candidate = now - 2; candidate <= now + 2; candidate++)
        {
            if (candidate > last && Code(secret, candidate) == code)
            {
                // Saved with the account's concurrency stamp: of two requests with the same code,
                // only the first one's save succeeds.
                return (await manager.SetAuthenticationTokenAsync(user, Provider, LastStepName, candidate.ToString(CultureInfo.InvariantCulture))).Succeeded;
            }
        }

        return false;
    }

    /// <summary>RFC 4226 §5.3: HOTP of the step, dynamically truncated to 6 digits.</summary>
    private static int Code(byte[] secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(counter, step);

        // HMAC-SHA1 is what RFC 6238 authenticator apps compute (its use here needs no collision resistance).
#pragma warning disable CA5350
        var hash = HMACSHA1.HashData(secret, counter);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return binary % 1_000_000;
    }

    /// <summary>RFC 4648 §6 base32, as Identity writes authenticator keys.</summary>
    private static byte[] Base32(string text)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            var value = Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (value < 0)
            {
                continue;
            }

            buffer = ((buffer << 5) | value) & 0xffff;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)((buffer >> bits) & 0xff));
            }
        }

        return [.. bytes];
    }
}
