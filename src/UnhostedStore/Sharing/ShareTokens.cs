using System.Security.Cryptography;
using System.Text;

namespace UnhostedStore.Sharing;

/// <summary>
/// The secret in a share URL: 256 random bits as base64url without padding (RFC 4648 §5),
/// 43 characters. Only its SHA-256 is stored (<see cref="Persistence.ShareLink.TokenHash"/>).
/// </summary>
public static class ShareTokens
{
    public const int Length = 43;

    public static string New() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lower-case hex SHA-256 of the token's ASCII.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>A link's public handle: 64 random bits as hex. It opens nothing.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Whether <paramref name="s"/> has a token's shape (checked before any lookup).</summary>
    public static bool LooksLikeToken(ReadOnlySpan<char> s)
    {
        if (s.Length != Length)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool LooksLikeId(ReadOnlySpan<char> s) =>
        s.Length == 16 && !s.ContainsAnyExcept(LowerHex);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
