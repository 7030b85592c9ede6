using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>Proof Key for Code Exchange (RFC 7636) for the move-in's code grant.</summary>
public static class MoveInPkce
{
    public const string Method = "S256";

    /// <summary>RFC 7636 §4.1: 32 random octets, base64url without padding, which gives 43
    /// characters of the unreserved set (the recommended form; 43–128 are allowed).</summary>
    public static string NewVerifier() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).</summary>
    public static string Challenge(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}
