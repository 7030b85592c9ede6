using Microsoft.AspNetCore.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>
/// A server with small share budgets (5 unknown links, 3 wrong passwords per IP and minute), so
/// that the guessing limits are cheap to reach. Each test speaks from its own client IP
/// (<see cref="Visitor"/> sends X-Forwarded-For; loopback is a trusted proxy), so tests never
/// spend each other's budget.
/// </summary>
public abstract class ShareServerFixture(Backend backend) : ServerFixture(backend)
{
    public const int MissBudget = 5;

    public const int PasswordBudget = 3;

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("RateLimiting:ShareMissesPerIpPerMinute", MissBudget.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("RateLimiting:SharePasswordFailuresPerIpPerMinute", PasswordBudget.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class ShareSqliteFixture() : ShareServerFixture(Backend.SqliteFileSystem);

public sealed class SharePostgresS3Fixture() : ShareServerFixture(Backend.PostgresS3);
