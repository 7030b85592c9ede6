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

/// <summary>
/// A server with tight per-token, page, failed-token and failed-login limits (the per-IP storage
/// limit stays generous). Tests act as distinct clients through X-Forwarded-For (see
/// <see cref="ClientIp"/>), so they never share a bucket.
/// </summary>
public abstract class AbuseLimitedServerFixture(Backend backend) : ServerFixture(backend)
{
    public const int TokenBurst = 4;
    public const int FailedTokensPerMinute = 20;
    public const int PagesPerMinute = 30;
    public const int FailedLoginsPerMinute = 12;

    private static int _lastClient;

    /// <summary>A client IP no other test uses (TEST-NET-3, RFC 5737).</summary>
    public static string ClientIp()
    {
        var n = Interlocked.Increment(ref _lastClient);
        return $"203.0.{113 + (n / 250)}.{1 + (n % 250)}";
    }

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("RateLimiting:StoragePerTokenPerSecond", "2");
        builder.UseSetting("RateLimiting:StoragePerTokenBurst", TokenBurst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimiting:FailedTokensPerIpPerMinute", FailedTokensPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimiting:PagesPerIpPerMinute", PagesPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimiting:FailedLoginsPerIpPerMinute", FailedLoginsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class AbuseLimitedSqliteFixture() : AbuseLimitedServerFixture(Backend.SqliteFileSystem);

public sealed class AbuseLimitedPostgresFixture() : AbuseLimitedServerFixture(Backend.PostgresFileSystem);

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

/// <summary>
/// A server with the real default abuse limits of <see cref="UnhostedStore.AbuseLimits.RateLimitOptions"/>
/// (every other fixture lifts them to 1,000,000) and the real inline threshold, to check that a
/// legitimate client never meets them.
/// </summary>
public abstract class DefaultLimitsServerFixture(Backend backend) : ServerFixture(backend)
{
    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        var defaults = new UnhostedStore.AbuseLimits.RateLimitOptions();
        foreach (var property in typeof(UnhostedStore.AbuseLimits.RateLimitOptions).GetProperties())
        {
            builder.UseSetting($"{UnhostedStore.AbuseLimits.RateLimitOptions.Section}:{property.Name}", Convert.ToString(property.GetValue(defaults), System.Globalization.CultureInfo.InvariantCulture));
        }

        builder.UseSetting("Storage:InlineMaxBytes", new UnhostedStore.Storage.StorageOptions().InlineMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class DefaultLimitsSqliteFixture() : DefaultLimitsServerFixture(Backend.SqliteFileSystem);

public sealed class DefaultLimitsPostgresFixture() : DefaultLimitsServerFixture(Backend.PostgresFileSystem);
