using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using UnhostedStore.Accounts.KeyRing;

namespace UnhostedStore.Tests;

public sealed class SecretSealTests
{
    private static KeyFileSecret NewKeyFile() => new(RandomNumberGenerator.GetBytes(KeyFileSecret.KeyBytes));

    private static X509Certificate2 NewCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=UnhostedStore test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public void A_value_sealed_with_a_key_file_opens_with_the_same_file_and_never_shows_in_the_stored_text()
    {
        var seal = SecretSeal.WithKeyFile(NewKeyFile());
        var stored = seal.Seal("oauth-signing", "c2VjcmV0IGtleSBieXRlcw==");

        Assert.False(SecretSeal.IsClear(stored));
        Assert.DoesNotContain("c2VjcmV0IGtleSBieXRlcw==", stored, StringComparison.Ordinal);
        Assert.NotEqual(stored, seal.Seal("oauth-signing", "c2VjcmV0IGtleSBieXRlcw=="));
        Assert.Equal("c2VjcmV0IGtleSBieXRlcw==", seal.Open("oauth-signing", stored));
    }

    [Fact]
    public void Another_key_file_or_another_row_name_cannot_open_a_sealed_value_and_the_message_says_which_setting()
    {
        var stored = SecretSeal.WithKeyFile(NewKeyFile()).Seal("oauth-signing", "secret");

        var other = Assert.Throws<InvalidOperationException>(() => SecretSeal.WithKeyFile(NewKeyFile()).Open("oauth-signing", stored));
        Assert.Contains("DataProtection:KeyFile", other.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => SecretSeal.None.Open("oauth-signing", stored));
    }

    [Fact]
    public void A_value_bound_to_one_row_does_not_open_under_another_name()
    {
        var seal = SecretSeal.WithKeyFile(NewKeyFile());
        var stored = seal.Seal("oauth-signing", "secret");

        Assert.Throws<InvalidOperationException>(() => seal.Open("oauth-encryption", stored));
    }

    [Fact]
    public void A_value_sealed_with_a_certificate_opens_with_its_private_key()
    {
        using var certificate = NewCertificate();
        var seal = SecretSeal.WithCertificate(certificate);
        var stored = seal.Seal("oauth-ecdsa", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg");

        Assert.StartsWith("rsa1:", stored, StringComparison.Ordinal);
        Assert.Equal("MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg", seal.Open("oauth-ecdsa", stored));
        using var another = NewCertificate();
        Assert.Throws<InvalidOperationException>(() => SecretSeal.WithCertificate(another).Open("oauth-ecdsa", stored));
    }

    [Fact]
    public void Without_a_key_file_or_certificate_values_stay_clear_and_clear_values_always_open_as_they_are()
    {
        Assert.False(SecretSeal.None.Encrypts);
        Assert.Equal("plain", SecretSeal.None.Seal("oauth-signing", "plain"));
        Assert.True(SecretSeal.IsClear("plain"));
        Assert.Equal("plain", SecretSeal.WithKeyFile(NewKeyFile()).Open("oauth-signing", "plain"));
    }
}
