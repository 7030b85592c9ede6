using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts.KeyRing;
using UnhostedStore.Persistence;

namespace UnhostedStore.Tests;

/// <summary>The key file's AES-256-GCM encryption of data-protection keys, and the
/// <c>DataProtection:*</c> settings.</summary>
public sealed class KeyProtectionTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("us-keyring-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static readonly XElement Secret = XElement.Parse("<masterKey xmlns=\"http://schemas.asp.net/2015/03/dataProtection\"><value>c2VjcmV0IGtleSBtYXRlcmlhbA==</value></masterKey>");

    private static ServiceProvider With(KeyFileSecret? secret)
    {
        var services = new ServiceCollection();
        if (secret is not null)
        {
            services.AddSingleton(secret);
        }

        return services.BuildServiceProvider();
    }

    [Fact]
    public void A_key_encrypted_with_the_key_file_decrypts_with_it_and_shows_nothing_of_the_secret()
    {
        var secret = new KeyFileSecret(RandomNumberGenerator.GetBytes(32));
        var info = new KeyFileXmlEncryptor(secret).Encrypt(Secret);

        Assert.Equal(typeof(KeyFileXmlDecryptor), info.DecryptorType);
        Assert.DoesNotContain("c2VjcmV0", info.EncryptedElement.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("masterKey", info.EncryptedElement.ToString(), StringComparison.Ordinal);
        Assert.Equal(Secret.ToString(), new KeyFileXmlDecryptor(With(secret)).Decrypt(info.EncryptedElement).ToString());

        // A fresh nonce each time: the same key never encrypts to the same text.
        Assert.NotEqual(info.EncryptedElement.ToString(), new KeyFileXmlEncryptor(secret).Encrypt(Secret).EncryptedElement.ToString());
    }

    [Fact]
    public void Another_key_file_no_key_file_or_a_changed_ciphertext_cannot_decrypt()
    {
        var secret = new KeyFileSecret(RandomNumberGenerator.GetBytes(32));
        var encrypted = new KeyFileXmlEncryptor(secret).Encrypt(Secret).EncryptedElement;

        var other = Assert.Throws<CryptographicException>(() => new KeyFileXmlDecryptor(With(new KeyFileSecret(RandomNumberGenerator.GetBytes(32)))).Decrypt(encrypted));
        Assert.Contains(secret.Fingerprint, other.Message, StringComparison.Ordinal);
        var none = Assert.Throws<CryptographicException>(() => new KeyFileXmlDecryptor(With(null)).Decrypt(encrypted));
        Assert.Contains("DataProtection:KeyFile", none.Message, StringComparison.Ordinal);

        var value = encrypted.Element(XName.Get("value", "urn:unhostedstore:data-protection:key-file"))!;
        var bytes = Convert.FromBase64String(value.Value);
        bytes[^1] ^= 1;
        value.Value = Convert.ToBase64String(bytes);
        Assert.ThrowsAny<CryptographicException>(() => new KeyFileXmlDecryptor(With(secret)).Decrypt(encrypted));
    }

    [Fact]
    public void The_embedded_default_makes_a_key_file_once_for_its_owner_only_and_reads_it_back()
    {
        var path = Path.Combine(_directory.FullName, "sub", KeyFileSecret.DefaultFileName);
        var made = KeyFileSecret.ReadOrCreate(path);
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(path).Trim()).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(made.Fingerprint, KeyFileSecret.ReadOrCreate(path).Fingerprint);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Theory]
    [InlineData("not base64 at all!", "is not base64")]
    [InlineData("c2hvcnQ=", "holds 5 bytes")]
    public void A_malformed_key_file_stops_the_start_with_a_message(string content, string message)
    {
        var path = Path.Combine(_directory.FullName, "bad.key");
        File.WriteAllText(path, content);
        var error = Assert.Throws<InvalidOperationException>(() => KeyFileSecret.Read(path));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("head -c 32 /dev/urandom | base64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_allow_one_protector_and_files_that_exist()
    {
        var file = Path.Combine(_directory.FullName, "k.key");
        File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var validator = new KeyProtectionOptionsValidator();

        Assert.True(validator.Validate(new KeyProtectionOptions()).IsValid);
        Assert.True(validator.Validate(new KeyProtectionOptions { KeyFile = file }).IsValid);
        Assert.True(validator.Validate(new KeyProtectionOptions { CertificatePath = file, CertificatePassword = "p" }).IsValid);

        Assert.Contains("Set only one of", Errors(validator, new KeyProtectionOptions { KeyFile = file, CertificatePath = file }));
        Assert.Contains("needs DataProtection:CertificatePath", Errors(validator, new KeyProtectionOptions { CertificatePassword = "p" }));
        Assert.Contains("head -c 32 /dev/urandom", Errors(validator, new KeyProtectionOptions { KeyFile = file + ".missing" }));
        Assert.Contains("no file at", Errors(validator, new KeyProtectionOptions { CertificatePath = file + ".missing" }));
    }

    private static string Errors(KeyProtectionOptionsValidator validator, KeyProtectionOptions options) =>
        string.Join('\n', validator.Validate(options).Errors.Select(e => e.ErrorMessage));

    [Theory]
    [InlineData(null, null, DatabaseProvider.Sqlite, KeyProtectionMode.DefaultKeyFile)]
    [InlineData(null, null, DatabaseProvider.Postgres, KeyProtectionMode.None)]
    [InlineData("/k", null, DatabaseProvider.Postgres, KeyProtectionMode.KeyFile)]
    [InlineData("/k", null, DatabaseProvider.Sqlite, KeyProtectionMode.KeyFile)]
    [InlineData(null, "/c.pfx", DatabaseProvider.Postgres, KeyProtectionMode.Certificate)]
    public void The_embedded_default_encrypts_by_itself_and_postgresql_only_when_configured(string? keyFile, string? certificate, DatabaseProvider provider, KeyProtectionMode expected) =>
        Assert.Equal(expected, KeyRingServices.Choose(new KeyProtectionOptions { KeyFile = keyFile, CertificatePath = certificate }, provider));
}
