using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace UnhostedStore.Authorization;

/// <summary>
/// The keys OpenIddict signs access-token payloads and encrypts authorization codes with. They
/// live in the database (<see cref="ServerKeyStore"/>), so every instance on it accepts every
/// other's tokens and a restart logs nobody out. Symmetric on purpose: RSA-OAEP costs ~4 ms a
/// request (shared/design/oauth-openiddict.md §4), and nobody outside this server verifies our tokens.
/// </summary>
public sealed class OAuthKeys
{
    public const string SigningName = "oauth-signing";

    public const string EncryptionName = "oauth-encryption";

    public const string EcdsaName = "oauth-ecdsa";

    private OAuthKeys(byte[] signing, byte[] encryption, byte[] ecdsa)
    {
        SigningKey = new SymmetricSecurityKey(signing) { KeyId = KeyId(signing) };
        EncryptionKey = new SymmetricSecurityKey(encryption) { KeyId = KeyId(encryption) };
        var ec = ECDsa.Create();
        ec.ImportPkcs8PrivateKey(ecdsa, out _);
        AsymmetricSigningKey = new ECDsaSecurityKey(ec) { KeyId = KeyId(ecdsa) };
    }

    public SymmetricSecurityKey SigningKey { get; }

    /// <summary>OpenIddict insists on one asymmetric key (for tokens others might verify);
    /// access tokens are signed with the symmetric one, registered first.</summary>
    public ECDsaSecurityKey AsymmetricSigningKey { get; }

    public SymmetricSecurityKey EncryptionKey { get; }

    /// <summary>Keys from their stored base64 form, by name (<see cref="SigningName"/> …).</summary>
    public static OAuthKeys FromStored(IReadOnlyDictionary<string, string> values) => new(
        Convert.FromBase64String(values[SigningName]),
        Convert.FromBase64String(values[EncryptionName]),
        Convert.FromBase64String(values[EcdsaName]));

    /// <summary>A fresh set, base64 by name.</summary>
    public static Dictionary<string, string> Generate()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SigningName] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [EncryptionName] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [EcdsaName] = Convert.ToBase64String(ec.ExportPkcs8PrivateKey()),
        };
    }

    /// <summary>The keys of <c>{DataDirectory}/keys/oauth-keys.json</c>, where versions before
    /// the database kept them; null when there is no such file.</summary>
    public static Dictionary<string, string>? ReadLegacyFile(string dataDirectory)
    {
        var file = LegacyFile(dataDirectory);
        if (!File.Exists(file))
        {
            return null;
        }

        var keys = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(file)) ?? throw new InvalidOperationException($"{file} is not a key file.");
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SigningName] = keys.Signing,
            [EncryptionName] = keys.Encryption,
            [EcdsaName] = keys.Ecdsa,
        };
    }

    public static string LegacyFile(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), "keys", "oauth-keys.json");

    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..16];

    private sealed record KeyFile(string Signing, string Encryption, string Ecdsa);
}
