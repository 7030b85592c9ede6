using Microsoft.AspNetCore.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.History;

/// <summary>
/// A server that keeps history as by default (30 days) but at most
/// <see cref="MaxVersions"/> versions per document, and without the history job, so that the
/// tests decide when expiry runs (<see cref="UnhostedStore.Storage.History.HistoryExpiry.RunOnceAsync"/>).
/// </summary>
public abstract class HistoryServerFixture(Backend backend) : ServerFixture(backend)
{
    public const int MaxVersions = 3;

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:MaxVersionsPerDocument", MaxVersions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Storage:HistoryPurgeIntervalMinutes", "0");
    }
}

public sealed class HistorySqliteFixture() : HistoryServerFixture(Backend.SqliteFileSystem);

public sealed class HistoryPostgresFixture() : HistoryServerFixture(Backend.PostgresFileSystem);

public sealed class HistoryPostgresS3Fixture() : HistoryServerFixture(Backend.PostgresS3);

/// <summary>A server with <c>Storage:VersionRetentionDays=0</c>: no history, as before it existed.</summary>
public abstract class NoHistoryServerFixture(Backend backend) : ServerFixture(backend)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) =>
        builder.UseSetting("Storage:VersionRetentionDays", "0");
}

public sealed class NoHistorySqliteFixture() : NoHistoryServerFixture(Backend.SqliteFileSystem);

public sealed class NoHistoryPostgresFixture() : NoHistoryServerFixture(Backend.PostgresFileSystem);

public sealed class NoHistoryPostgresS3Fixture() : NoHistoryServerFixture(Backend.PostgresS3);
