using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Activity;

/// <summary>
/// A server without the audit retention job, so that the tests decide when retention runs
/// (<see cref="AuditRetention.RunOnceAsync"/>) and no background run races them.
/// </summary>
public abstract class ActivityServerFixture(Backend backend) : ServerFixture(backend)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services =>
        {
            var job = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(AuditRetentionJob));
            services.Remove(job);
        });
}

public sealed class ActivitySqliteFixture() : ActivityServerFixture(Backend.SqliteFileSystem);

public sealed class ActivityPostgresFixture() : ActivityServerFixture(Backend.PostgresFileSystem);

/// <summary>What the audit tests read and send.</summary>
internal static class Audit
{
    /// <summary>A browser's User-Agent as Firefox on Linux sends it.</summary>
    public const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    /// <summary>The events about <paramref name="user"/>'s account, oldest first.</summary>
    public static async Task<List<AuditEvent>> EventsAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).AuditEvents.AsNoTracking()
            .Where(e => e.UserName == user)
            .OrderBy(e => e.Id)
            .ToListAsync();
    }

    /// <summary>Every event in the log.</summary>
    public static async Task<List<AuditEvent>> AllEventsAsync(ServerFixture server)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).AuditEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }

    public static async Task<string> UserIdAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().FindByNameAsync(user))!.Id;
    }

    /// <summary>Adds events straight to the table (old ones, or many), as the recorder would.</summary>
    public static async Task AddAsync(ServerFixture server, IEnumerable<AuditEvent> events)
    {
        await using var scope = server.CreateScope();
        var db = ServerFixture.Db(scope);
        db.AuditEvents.AddRange(events);
        await db.SaveChangesAsync();
    }

    /// <summary>The ids of the events a list page shows (<c>data-event</c> of each row).</summary>
    public static List<long> ShownIds(string page) =>
        System.Text.RegularExpressions.Regex.Matches(page, "data-event=\"(\\d+)\"")
            .Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    /// <summary>The kinds a list page shows (<c>data-kind</c> of each row).</summary>
    public static List<string> ShownKinds(string page) =>
        System.Text.RegularExpressions.Regex.Matches(page, "data-kind=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
}
