using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>
/// A server without the erasure job, so that the tests decide when erasure runs
/// (<see cref="AccountEraser.RunDueAsync"/>) and what "the grace period is over" means (they move
/// a deletion's erase time into the past), and no background run races them.
/// </summary>
public abstract class DeletionServerFixture(Backend backend) : ServerFixture(backend)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services =>
        {
            var job = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(AccountDeletionJob));
            services.Remove(job);
        });
}

public sealed class DeletionSqliteFixture() : DeletionServerFixture(Backend.SqliteFileSystem);

public sealed class DeletionPostgresS3Fixture() : DeletionServerFixture(Backend.PostgresS3);
