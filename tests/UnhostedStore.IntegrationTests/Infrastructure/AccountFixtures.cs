using Microsoft.AspNetCore.Hosting;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>A server where anyone may sign up (<c>Accounts:Signup = Open</c>).</summary>
public abstract class OpenSignupFixture(Backend backend) : ServerFixture(backend)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) => builder.UseSetting("Accounts:Signup", "Open");
}

public sealed class OpenSignupSqliteFixture() : OpenSignupFixture(Backend.SqliteFileSystem);

public sealed class OpenSignupPostgresFixture() : OpenSignupFixture(Backend.PostgresFileSystem);

/// <summary>A server where sign-up needs an invite link (<c>Accounts:Signup = Invite</c>).</summary>
public abstract class InviteSignupFixture(Backend backend) : ServerFixture(backend)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) => builder.UseSetting("Accounts:Signup", "Invite");
}

public sealed class InviteSignupSqliteFixture() : InviteSignupFixture(Backend.SqliteFileSystem);

public sealed class InviteSignupPostgresFixture() : InviteSignupFixture(Backend.PostgresFileSystem);

/// <summary>
/// Storage and pages on different host names (draft-26 §14). Both names resolve nowhere: tests
/// connect to the server's loopback address and send them as the Host header.
/// </summary>
public abstract class SplitHostsFixture(Backend backend) : ServerFixture(backend)
{
    public const string StorageHost = "storage.example";

    public const string AccountHost = "account.example";

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Hosting:StorageHost", StorageHost);
        builder.UseSetting("Hosting:AccountHost", AccountHost);
    }
}

public sealed class SplitHostsSqliteFixture() : SplitHostsFixture(Backend.SqliteFileSystem);

public sealed class SplitHostsPostgresFixture() : SplitHostsFixture(Backend.PostgresFileSystem);
