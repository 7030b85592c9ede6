using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace UnhostedStore.Accounts.KeyRing;

/// <summary>
/// Encrypts small secrets the server keeps in its database (the OAuth keys) with what protects
/// the data-protection keys: the key file (AES-256-GCM under a key derived from it with HKDF) or
/// the certificate (a random AES-256-GCM key wrapped with RSA-OAEP-SHA256). ASVS V6.4.1: a copy of
/// the database alone reveals none of them. Without either (PostgreSQL with nothing configured)
/// values stay in the clear, as the start-up warning says. The row's name is bound to its value
/// (associated data), so sealed values cannot be swapped between rows.
/// </summary>
public sealed class SecretSeal
{
    private const string KeyFilePrefix = "kf1:";
    private const string CertificatePrefix = "rsa1:";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int AesKeyBytes = 32;

    private readonly byte[]? _fileKey;
    private readonly string? _fingerprint;
    private readonly X509Certificate2? _certificate;

    private SecretSeal(byte[]? fileKey, string? fingerprint, X509Certificate2? certificate)
    {
        _fileKey = fileKey;
        _fingerprint = fingerprint;
        _certificate = certificate;
    }

    /// <summary>Values are stored as they are.</summary>
    public static SecretSeal None { get; } = new(null, null, null);

    public static SecretSeal WithKeyFile(KeyFileSecret secret) =>
        new(HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.Key.ToArray(), AesKeyBytes, info: Encoding.ASCII.GetBytes("UnhostedStore stored secrets, AES-256-GCM, v1")), secret.Fingerprint, null);

    public static SecretSeal WithCertificate(X509Certificate2 certificate) =>
        certificate.GetRSAPublicKey() is null
            ? throw new InvalidOperationException("DataProtection:CertificatePath: the certificate must have an RSA key.")
            : new(null, null, certificate);

    /// <summary>Whether a stored value is in the clear (an older version stored it so).</summary>
    public static bool IsClear(string stored) =>
        !stored.StartsWith(KeyFilePrefix, StringComparison.Ordinal) && !stored.StartsWith(CertificatePrefix, StringComparison.Ordinal);

    /// <summary>Whether <see cref="Seal"/> encrypts at all.</summary>
    public bool Encrypts => _fileKey is not null || _certificate is not null;

    public string Seal(string name, string value)
    {
        var plaintext = Encoding.UTF8.GetBytes(value);
        if (_fileKey is not null)
        {
            return KeyFilePrefix + _fingerprint + ":" + Convert.ToBase64String(AesSeal(_fileKey, plaintext, name));
        }

        if (_certificate is not null)
        {
            var key = RandomNumberGenerator.GetBytes(AesKeyBytes);
            using var rsa = _certificate.GetRSAPublicKey()!;
            var wrapped = rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256);
            var body = AesSeal(key, plaintext, name);
            CryptographicOperations.ZeroMemory(key);
            var all = new byte[2 + wrapped.Length + body.Length];
            all[0] = (byte)(wrapped.Length >> 8);
            all[1] = (byte)wrapped.Length;
            wrapped.CopyTo(all, 2);
            body.CopyTo(all, 2 + wrapped.Length);
            return CertificatePrefix + _certificate.Thumbprint + ":" + Convert.ToBase64String(all);
        }

        return value;
    }

    /// <summary>The clear value of what <see cref="Seal"/> stored (or of a clear value); a value
    /// sealed with another key file or certificate stops with a message saying which.</summary>
    public string Open(string name, string stored)
    {
        if (IsClear(stored))
        {
            return stored;
        }

        var fileSealed = stored.StartsWith(KeyFilePrefix, StringComparison.Ordinal);
        var rest = stored[(fileSealed ? KeyFilePrefix.Length : CertificatePrefix.Length)..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var sealedBy = colon < 0 ? string.Empty : rest[..colon];
        try
        {
            var bytes = Convert.FromBase64String(rest[(colon + 1)..]);
            if (fileSealed && _fileKey is not null && string.Equals(sealedBy, _fingerprint, StringComparison.Ordinal))
            {
                return Encoding.UTF8.GetString(AesOpen(_fileKey, bytes, name));
            }

            if (!fileSealed && _certificate is not null && string.Equals(sealedBy, _certificate.Thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                var length = (bytes[0] << 8) | bytes[1];
                using var rsa = _certificate.GetRSAPrivateKey()!;
                var key = rsa.Decrypt(bytes.AsSpan(2, length).ToArray(), RSAEncryptionPadding.OaepSHA256);
                try
                {
                    return Encoding.UTF8.GetString(AesOpen(key, bytes.AsSpan(2 + length).ToArray(), name));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException or IndexOutOfRangeException or ArgumentException)
        {
            throw new InvalidOperationException($"The stored secret '{name}' cannot be decrypted: it is damaged, or DataProtection:KeyFile / DataProtection:CertificatePath is not the one it was stored with.", e);
        }

        var by = fileSealed ? $"the key file with fingerprint {sealedBy}" : $"the certificate with thumbprint {sealedBy}";
        throw new InvalidOperationException($"The stored secret '{name}' cannot be decrypted: it was encrypted with {by}. Set DataProtection:KeyFile or DataProtection:CertificatePath to that one, as on the other instances.");
    }

    private static byte[] AesSeal(byte[] key, byte[] plaintext, string name)
    {
        var output = new byte[NonceBytes + plaintext.Length + TagBytes];
        var nonce = output.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceBytes, plaintext.Length), output.AsSpan(NonceBytes + plaintext.Length), Encoding.UTF8.GetBytes(name));
        return output;
    }

    private static byte[] AesOpen(byte[] key, byte[] sealedBytes, string name)
    {
        var length = sealedBytes.Length - NonceBytes - TagBytes;
        if (length < 0)
        {
            throw new CryptographicException("truncated");
        }

        var plaintext = new byte[length];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, length), sealedBytes.AsSpan(NonceBytes + length), plaintext, Encoding.UTF8.GetBytes(name));
        return plaintext;
    }
}
