using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>A server that listens only on HTTPS, with a throw-away self-signed certificate.</summary>
public abstract class HttpsServerFixture(Backend backend) : ServerFixture(backend)
{
    private readonly X509Certificate2 _certificate = CreateCertificate();

    public string CertificateThumbprint => _certificate.Thumbprint;

    protected override void ConfigureKestrel(WebApplicationFactory<Program> factory) =>
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate)));

    protected override SocketsHttpHandler CreateHandler()
    {
        var handler = base.CreateHandler();

        // Trust exactly our own certificate, nothing else.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
            cert is not null && string.Equals(cert.GetCertHashString(), _certificate.Thumbprint, StringComparison.OrdinalIgnoreCase);
        return handler;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }
}

public sealed class HttpsSqliteFixture() : HttpsServerFixture(Backend.SqliteFileSystem);

public sealed class HttpsPostgresFixture() : HttpsServerFixture(Backend.PostgresFileSystem);

/// <summary>A server with tight abuse limits, to see 429 without sending thousands of requests.</summary>
public abstract class RateLimitedServerFixture(Backend backend) : ServerFixture(backend)
{
    public const int Burst = 5;
    public const int PublicMisses = 3;

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("RateLimiting:StoragePerIpPerSecond", "5");
        builder.UseSetting("RateLimiting:StoragePerIpBurst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimiting:PublicMissesPerMinute", PublicMisses.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class RateLimitedSqliteFixture() : RateLimitedServerFixture(Backend.SqliteFileSystem);

public sealed class RateLimitedPostgresFixture() : RateLimitedServerFixture(Backend.PostgresFileSystem);

/// <summary>A server where every user may store <see cref="QuotaBytes"/> bytes.</summary>
public abstract class QuotaServerFixture(Backend backend) : ServerFixture(backend)
{
    public const long QuotaBytes = 10_000;

    protected override void ConfigureSettings(IWebHostBuilder builder) =>
        builder.UseSetting("Storage:DefaultQuotaBytes", QuotaBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

public sealed class QuotaSqliteFixture() : QuotaServerFixture(Backend.SqliteFileSystem);

public sealed class QuotaPostgresFixture() : QuotaServerFixture(Backend.PostgresFileSystem);

public sealed class QuotaPostgresS3Fixture() : QuotaServerFixture(Backend.PostgresS3);
