using Microsoft.AspNetCore.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>A server that takes documents of up to 256 MiB, for uploads of real sizes from Chromium.</summary>
public abstract class FilesBrowserServerFixture(Backend backend) : ServerFixture(backend)
{
    public const long LargeDocumentBytes = 256L * 1024 * 1024;

    protected override void ConfigureSettings(IWebHostBuilder builder) =>
        builder.UseSetting("Storage:MaxDocumentBytes", LargeDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

public sealed class FilesBrowserSqliteFixture() : FilesBrowserServerFixture(Backend.SqliteFileSystem);

public sealed class FilesBrowserPostgresS3Fixture() : FilesBrowserServerFixture(Backend.PostgresS3);
