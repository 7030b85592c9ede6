using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// A server whose data-protection keys are encrypted with a key file: on SQLite the one the
/// embedded default makes in its DataDirectory, on PostgreSQL <c>DataProtection:KeyFile</c> set to
/// a file this fixture writes (PostgreSQL makes none by itself).
/// </summary>
public abstract class KeyFileServerFixture(Backend backend) : ServerFixture(backend)
{
    /// <summary>The key file the server uses.</summary>
    public string KeyFile => Backend == Backend.SqliteFileSystem
        ? Path.Combine(DataDirectory, UnhostedStore.Accounts.KeyRing.KeyFileSecret.DefaultFileName)
        : Path.Combine(DataDirectory, "shared.key");

    protected override Task BeforeStartAsync()
    {
        if (Backend != Backend.SqliteFileSystem)
        {
            Directory.CreateDirectory(DataDirectory);
            KeyRingTestFiles.WriteKeyFile(KeyFile);
        }

        return Task.CompletedTask;
    }

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        if (Backend != Backend.SqliteFileSystem)
        {
            builder.UseSetting("DataProtection:KeyFile", KeyFile);
        }
    }

    /// <summary>The settings of another instance on this fixture's database (and, on SQLite,
    /// its DataDirectory, hence its default key file).</summary>
    public Dictionary<string, string?> SameDatabase() => new()
    {
        ["DataDirectory"] = DataDirectory,
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
        ["DataProtection:KeyFile"] = Backend == Backend.SqliteFileSystem ? null : KeyFile,
    };
}

public sealed class KeyFileSqliteFixture() : KeyFileServerFixture(Backend.SqliteFileSystem);

public sealed class KeyFilePostgresFixture() : KeyFileServerFixture(Backend.PostgresFileSystem);

internal static class KeyRingTestFiles
{
    public static string WriteKeyFile(string path)
    {
        File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        return path;
    }

    /// <summary>A self-signed RSA certificate with its private key, as a password-protected PKCS#12 file.</summary>
    public static string WriteCertificate(string path, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=UnhostedStore data protection (test)", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }
}

/// <summary>
/// One more instance of the server (Kestrel on a random loopback port) with settings of the
/// test's choosing: another instance on the same database, with or without the same key file.
/// </summary>
internal sealed class ExtraInstance : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;

    private ExtraInstance(IReadOnlyDictionary<string, string?> settings) => _settings = settings;

    public Uri BaseAddress { get; private set; } = null!;

    public static ExtraInstance Start(IReadOnlyDictionary<string, string?> settings)
    {
        var instance = new ExtraInstance(settings);
        instance.UseKestrel(0);
        instance.StartServer();
        var address = instance.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        instance.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        return instance;
    }

    /// <summary>A browser on this instance that carries <paramref name="cookies"/> (another
    /// instance's login: cookies are per host name, not per port).</summary>
    public Browser Browser(ServerFixture server, CookieContainer cookies) => new(server, BaseAddress, cookies);

    public async Task CreateAccountAsync(string user, string password)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        var result = await AccountCommands.CreateAsync(users, TimeProvider.System, user, password, isAdmin: false);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
    }

    public async Task<List<string>> KeyXmlAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return scope.ServiceProvider.GetRequiredService<StorageDbContext>().DataProtectionKeys.Select(k => k.Xml!).ToList();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        foreach (var (key, value) in ServerFixture.UnlimitedRates)
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in _settings)
        {
            if (value is not null)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
