using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using UnhostedStore.Configuration;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.KeyRing;

/// <summary>How the stored data-protection keys are encrypted.</summary>
public enum KeyProtectionMode
{
    /// <summary>Not at all (PostgreSQL with nothing configured): a warning at every start.</summary>
    None,

    /// <summary>With <c>DataProtection:KeyFile</c>.</summary>
    KeyFile,

    /// <summary>With the key file the embedded default made in <c>DataDirectory</c>.</summary>
    DefaultKeyFile,

    /// <summary>With <c>DataProtection:CertificatePath</c>.</summary>
    Certificate,
}

public static class KeyRingServices
{
    /// <summary>
    /// Data protection (the login cookie, antiforgery tokens, one-time links): keys in the metadata
    /// database, so every instance reads the same key ring, each encrypted before it is stored
    /// (<c>DataProtection:*</c>, <see cref="KeyProtectionOptions"/>). ASVS V6.4.1: the keys are
    /// secrets at rest; a copy of the database alone reveals none. Keys stored unencrypted before
    /// stay readable: only new keys are encrypted.
    /// </summary>
    public static KeyProtectionMode AddDataProtectionKeys(this IServiceCollection services, IConfiguration configuration, DatabaseOptions database)
    {
        // Read now: the certificate and the key file shape the builder, and a mistake must stop
        // the server and the command line alike, before anything runs.
        var options = configuration.GetSection(KeyProtectionOptions.Section).Get<KeyProtectionOptions>() ?? new KeyProtectionOptions();
        var validation = new KeyProtectionOptionsValidator().Validate(options);
        if (!validation.IsValid)
        {
            throw new OptionsValidationException(KeyProtectionOptions.Section, typeof(KeyProtectionOptions), validation.Errors.Select(e => e.ErrorMessage));
        }

        services.AddOptions<KeyProtectionOptions>().BindConfiguration(KeyProtectionOptions.Section).ValidateWithFluent<KeyProtectionOptions, KeyProtectionOptionsValidator>();
        var builder = services.AddDataProtection()
            .SetApplicationName("UnhostedStore")
            .PersistKeysToDbContext<StorageDbContext>();

        var mode = Choose(options, database.Provider);
        switch (mode)
        {
            case KeyProtectionMode.Certificate:
                builder.ProtectKeysWithCertificate(LoadCertificate(options.CertificatePath!, options.CertificatePassword));
                break;
            case KeyProtectionMode.KeyFile or KeyProtectionMode.DefaultKeyFile:
                var secret = mode == KeyProtectionMode.KeyFile
                    ? KeyFileSecret.Read(options.KeyFile!)
                    : KeyFileSecret.ReadOrCreate(Path.Combine(Path.GetFullPath(database.DataDirectory), KeyFileSecret.DefaultFileName));
                services.AddSingleton(secret);
                services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new KeyFileXmlEncryptor(secret));
                break;
        }

        services.AddSingleton(new KeyProtectionInUse(mode));
        services.AddHostedService<KeyProtectionStartupCheck>();
        return mode;
    }

    /// <summary>A configured certificate or key file wins; otherwise the embedded default makes
    /// its own key file. With PostgreSQL (several instances, each with its own DataDirectory) a
    /// key file made by one instance would be unreadable to the others, so none is made there.</summary>
    public static KeyProtectionMode Choose(KeyProtectionOptions options, DatabaseProvider provider) =>
        !string.IsNullOrWhiteSpace(options.CertificatePath) ? KeyProtectionMode.Certificate
        : !string.IsNullOrWhiteSpace(options.KeyFile) ? KeyProtectionMode.KeyFile
        : provider == DatabaseProvider.Sqlite ? KeyProtectionMode.DefaultKeyFile
        : KeyProtectionMode.None;

    /// <summary>PKCS#12, or PEM with the certificate and its private key in one file.</summary>
    public static X509Certificate2 LoadCertificate(string path, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            var pem = File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal);
            certificate = !pem ? X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet)
                : string.IsNullOrEmpty(password) ? X509Certificate2.CreateFromPemFile(path)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"DataProtection:CertificatePath: {path} could not be read as a certificate with its private key (PKCS#12, or PEM with the key): {e.Message} Check DataProtection:CertificatePassword.", e);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"DataProtection:CertificatePath: {path} has no private key; the server needs it to read the keys it encrypted.");
        }

        return certificate;
    }
}

/// <summary>The mode chosen at start, for the start-up check.</summary>
public sealed record KeyProtectionInUse(KeyProtectionMode Mode);

/// <summary>Says at every start of the server how the keys are protected, and warns when they are not.</summary>
public sealed partial class KeyProtectionStartupCheck(KeyProtectionInUse inUse, IOptions<KeyProtectionOptions> options, ILogger<KeyProtectionStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        switch (inUse.Mode)
        {
            case KeyProtectionMode.None:
                LogUnencrypted(logger);
                break;
            case KeyProtectionMode.Certificate:
                LogProtected(logger, "the certificate " + options.Value.CertificatePath);
                break;
            default:
                LogProtected(logger, "the key file " + (options.Value.KeyFile is { Length: > 0 } file ? file : KeyFileSecret.DefaultFileName + " in DataDirectory"));
                break;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data-protection keys (which protect login cookies, antiforgery tokens and one-time links) are stored UNENCRYPTED in the database: anyone with a copy of it can forge logins. Set DataProtection:KeyFile (the same file on every instance) or DataProtection:CertificatePath; see the README, \"Data-protection keys\".")]
    private static partial void LogUnencrypted(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data-protection keys are stored encrypted with {Protector}")]
    private static partial void LogProtected(ILogger logger, string protector);
}
