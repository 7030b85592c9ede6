using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// A clock the tests move forward: the real time plus an offset. Everything in the server that
/// takes <see cref="TimeProvider"/> from its services sees it (the login's <c>auth_time</c>, the
/// re-authentication check), so "this login is 11 minutes old" needs no waiting.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>A server whose clock the tests control (<see cref="TestClock"/>).</summary>
public abstract class SecurityServerFixture(Backend backend) : ServerFixture(backend)
{
    public TestClock Clock { get; } = new();

    protected override void ConfigureSettings(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
}

public sealed class SecuritySqliteFixture() : SecurityServerFixture(Backend.SqliteFileSystem);

public sealed class SecurityPostgresFixture() : SecurityServerFixture(Backend.PostgresFileSystem);

public sealed class SecurityPostgresS3Fixture() : SecurityServerFixture(Backend.PostgresS3);
