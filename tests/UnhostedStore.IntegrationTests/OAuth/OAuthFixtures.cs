using Microsoft.AspNetCore.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.OAuth;

/// <summary>
/// A server reached through a fixed public origin (<c>Hosting:PublicOrigin</c>) that hides
/// which accounts exist (<c>Accounts:HideUnknownUsers</c>).
/// </summary>
public abstract class ConfiguredWebFingerFixture(Backend backend) : ServerFixture(backend)
{
    public const string PublicOrigin = "https://rs.example.org";

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Hosting:PublicOrigin", PublicOrigin);
        builder.UseSetting("Accounts:HideUnknownUsers", "true");
    }
}

public sealed class ConfiguredWebFingerSqliteFixture() : ConfiguredWebFingerFixture(Backend.SqliteFileSystem);

public sealed class ConfiguredWebFingerPostgresFixture() : ConfiguredWebFingerFixture(Backend.PostgresFileSystem);
