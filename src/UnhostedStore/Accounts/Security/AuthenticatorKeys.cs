using System.Text;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// What an authenticator app needs to add the account: the Key URI Format of Google
/// Authenticator (<c>otpauth://totp/Issuer:account?secret=…&amp;issuer=…&amp;digits=6</c>; RFC 6238
/// TOTP with Identity's defaults: HMAC-SHA1, 30-second steps, 6 digits) and the key grouped for
/// typing.
/// </summary>
public static class AuthenticatorKeys
{
    public const string Issuer = "UnhostedStore";

    public static string Uri(string userName, string key) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(Issuer)}:{System.Uri.EscapeDataString(userName)}?secret={key}&issuer={System.Uri.EscapeDataString(Issuer)}&digits=6";

    /// <summary>The base32 key in groups of four, lower case, as people copy it by hand.</summary>
    public static string Readable(string key)
    {
        var text = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            text.Append(key.AsSpan(i, Math.Min(4, key.Length - i)));
        }

        return text.ToString().ToLowerInvariant();
    }

    /// <summary>A code as typed: spaces and dashes removed.</summary>
    public static string CleanCode(string? code) =>
        new((code ?? string.Empty).Where(char.IsAsciiDigit).ToArray());
}
