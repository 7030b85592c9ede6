using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace UnhostedStore.Authorization;

/// <summary>
/// The symmetric keys OpenIddict signs access-token payloads and encrypts authorization codes
/// with, kept in <c>{DataDirectory}/keys/oauth-keys.json</c> (created on first start, mode 0600)
/// so a restart logs nobody out. Symmetric on purpose: RSA-OAEP costs ~4 ms a request
/// (shared/design/oauth-openiddict.md §4), and nobody outside this server verifies our tokens.
/// </summary>
public sealed class OAuthKeys
{
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

    public static OAuthKeys LoadOrCreate(string dataDirectory)
    {
        var dir = Path.Combine(Path.GetFullPath(dataDirectory), "keys");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "oauth-keys.json");
        if (!File.Exists(file))
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var fresh = new KeyFile(
                Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                Convert.ToBase64String(ec.ExportPkcs8PrivateKey()));
            var temp = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(fresh));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            try
            {
                // Two processes starting together: the first rename wins, the other reads it.
                File.Move(temp, file, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(temp);
            }
        }

        var keys = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(file)) ?? throw new InvalidOperationException($"{file} is not a key file.");
        return new OAuthKeys(Convert.FromBase64String(keys.Signing), Convert.FromBase64String(keys.Encryption), Convert.FromBase64String(keys.Ecdsa));
    }

    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..16];

    private sealed record KeyFile(string Signing, string Encryption, string Ecdsa);
}
