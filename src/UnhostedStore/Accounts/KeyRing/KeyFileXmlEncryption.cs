using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace UnhostedStore.Accounts.KeyRing;

/// <summary>
/// Encrypts a data-protection key's secret part with the key file's key: AES-256-GCM (NIST SP
/// 800-38D) with a random 96-bit nonce and a 128-bit tag, the key's XML as the plaintext.
/// </summary>
public sealed class KeyFileXmlEncryptor(KeyFileSecret secret) : IXmlEncryptor
{
    internal static readonly XNamespace Ns = "urn:unhostedstore:data-protection:key-file";
    internal static readonly XName Element = Ns + "encryptedKey";
    internal const int NonceBytes = 12;
    internal const int TagBytes = 16;

    /// <summary>Binds the ciphertext to its purpose and format version.</summary>
    internal static readonly byte[] AssociatedData = Encoding.ASCII.GetBytes("UnhostedStore data-protection key, AES-256-GCM, v1");

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceBytes + plaintext.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(secret.Key, TagBytes))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceBytes, plaintext.Length), sealedBytes.AsSpan(NonceBytes + plaintext.Length), AssociatedData);
        }

        CryptographicOperations.ZeroMemory(plaintext);
        var element = new XElement(
            Element,
            new XAttribute("version", "1"),
            new XAttribute("keyFile", secret.Fingerprint),
            new XComment(" This key is encrypted with AES-256-GCM under the key file (DataProtection:KeyFile). "),
            new XElement(Ns + "value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(KeyFileXmlDecryptor));
    }
}

/// <summary>
/// Decrypts what <see cref="KeyFileXmlEncryptor"/> wrote. ASP.NET Core creates decryptors from
/// the type name stored with each key (<c>decryptorType</c>), calling a constructor that takes
/// the application's <see cref="IServiceProvider"/>: the key file comes from there. The type's
/// full name is stored in the database, so it must never change.
/// </summary>
public sealed class KeyFileXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        if (encryptedElement.Name != KeyFileXmlEncryptor.Element || (string?)encryptedElement.Attribute("version") != "1"
            || encryptedElement.Element(KeyFileXmlEncryptor.Ns + "value") is not { } value)
        {
            throw new CryptographicException("A stored data-protection key is not in the key-file format this server reads.");
        }

        var fingerprint = (string?)encryptedElement.Attribute("keyFile");
        if (services.GetService<KeyFileSecret>() is not { } secret)
        {
            throw new CryptographicException($"A stored data-protection key is encrypted with a key file (fingerprint {fingerprint}), and this server has none: set DataProtection:KeyFile to that file.");
        }

        if (!string.Equals(fingerprint, secret.Fingerprint, StringComparison.Ordinal))
        {
            throw new CryptographicException($"A stored data-protection key is encrypted with another key file (fingerprint {fingerprint}) than this server's {secret.Path} ({secret.Fingerprint}).");
        }

        var sealedBytes = Convert.FromBase64String(value.Value);
        if (sealedBytes.Length < KeyFileXmlEncryptor.NonceBytes + KeyFileXmlEncryptor.TagBytes)
        {
            throw new CryptographicException("A stored data-protection key is truncated.");
        }

        var length = sealedBytes.Length - KeyFileXmlEncryptor.NonceBytes - KeyFileXmlEncryptor.TagBytes;
        var plaintext = new byte[length];
        try
        {
            using (var aes = new AesGcm(secret.Key, KeyFileXmlEncryptor.TagBytes))
            {
                aes.Decrypt(
                    sealedBytes.AsSpan(0, KeyFileXmlEncryptor.NonceBytes),
                    sealedBytes.AsSpan(KeyFileXmlEncryptor.NonceBytes, length),
                    sealedBytes.AsSpan(KeyFileXmlEncryptor.NonceBytes + length),
                    plaintext,
                    KeyFileXmlEncryptor.AssociatedData);
            }

            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
