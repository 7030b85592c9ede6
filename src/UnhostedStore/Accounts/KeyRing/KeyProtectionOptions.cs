using FluentValidation;

namespace UnhostedStore.Accounts.KeyRing;

/// <summary>
/// Configuration section <c>DataProtection</c>: how the data-protection keys (which sign and
/// encrypt the login cookie, antiforgery tokens and one-time links) are encrypted before they are
/// stored in the metadata database. At most one of <see cref="KeyFile"/> and
/// <see cref="CertificatePath"/>; with neither, the embedded default (SQLite) makes a key file in
/// <c>DataDirectory</c>, and PostgreSQL stores the keys unencrypted (with a warning at start).
/// </summary>
public sealed class KeyProtectionOptions
{
    public const string Section = "DataProtection";

    /// <summary><c>DataProtection:KeyFile</c>: a file holding a random 256-bit key (base64), which
    /// encrypts each key with AES-256-GCM. It must exist; every instance needs the same file.</summary>
    public string? KeyFile { get; set; }

    /// <summary><c>DataProtection:CertificatePath</c>: an X.509 certificate with its private key
    /// (PKCS#12 <c>.pfx</c>/<c>.p12</c>, or PEM with the key in the same file).</summary>
    public string? CertificatePath { get; set; }

    /// <summary><c>DataProtection:CertificatePassword</c>: the password of that file, if any.</summary>
    public string? CertificatePassword { get; set; }
}

public sealed class KeyProtectionOptionsValidator : AbstractValidator<KeyProtectionOptions>
{
    public KeyProtectionOptionsValidator()
    {
        RuleFor(o => o).Must(o => string.IsNullOrWhiteSpace(o.KeyFile) || string.IsNullOrWhiteSpace(o.CertificatePath))
            .WithMessage("Set only one of DataProtection:KeyFile and DataProtection:CertificatePath.");
        RuleFor(o => o.CertificatePassword).Empty().When(o => string.IsNullOrWhiteSpace(o.CertificatePath))
            .WithMessage("DataProtection:CertificatePassword needs DataProtection:CertificatePath.");
        RuleFor(o => o.KeyFile).Must(File.Exists!).When(o => !string.IsNullOrWhiteSpace(o.KeyFile))
            .WithMessage(o => $"DataProtection:KeyFile: there is no file at {o.KeyFile}. Make one with: head -c 32 /dev/urandom | base64 > {o.KeyFile}; chmod 600 {o.KeyFile} (every instance needs the same file).");
        RuleFor(o => o.CertificatePath).Must(File.Exists!).When(o => !string.IsNullOrWhiteSpace(o.CertificatePath))
            .WithMessage(o => $"DataProtection:CertificatePath: there is no file at {o.CertificatePath}.");
    }
}
