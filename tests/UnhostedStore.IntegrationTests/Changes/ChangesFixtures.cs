using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage.Changes;

namespace UnhostedStore.IntegrationTests.Changes;

/// <summary>
/// A server with small change-stream limits, so that each limit is cheap to reach: four
/// streams per user, a queue of <see cref="QueueLength"/> events, a heartbeat every second, and a
/// change log that keeps <see cref="MaxEntries"/> entries per user (purged when a test runs
/// <see cref="PurgeAsync"/>, never by the timer).
/// </summary>
public abstract class ChangesServerFixture(Backend backend) : ServerFixture(backend)
{
    public const int MaxPerUser = 4;
    public const int QueueLength = 8;
    public const int MaxEntries = 6;

    protected override void ConfigureSettings(IWebHostBuilder builder) => Apply(builder.UseSetting);

    /// <summary>The same settings for a server process (environment variable names).</summary>
    public static IEnumerable<KeyValuePair<string, string>> ProcessSettings()
    {
        var all = new List<KeyValuePair<string, string>>();
        Apply((key, value) =>
        {
            all.Add(new(key.Replace(":", "__", StringComparison.Ordinal), value));
            return null!;
        });
        return all;
    }

    private static void Apply(Func<string, string, object> set)
    {
        set("Storage:ChangeStreams:MaxPerUser", MaxPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture));
        set("Storage:ChangeStreams:MaxPerIp", "1000");
        set("Storage:ChangeStreams:QueueLength", QueueLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        set("Storage:ChangeStreams:HeartbeatSeconds", "1");
        set("Storage:ChangeLogRetention:MaxEntriesPerUser", MaxEntries.ToString(System.Globalization.CultureInfo.InvariantCulture));
        set("Storage:ChangeLogRetention:PurgeIntervalMinutes", "0");
    }

    public ChangeHub Hub => Services.GetRequiredService<ChangeHub>();

    /// <summary>One run of the retention job.</summary>
    public async Task<int> PurgeAsync()
    {
        await using var scope = CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ChangeLogPurge>().RunOnceAsync(CancellationToken.None);
    }
}

public sealed class ChangesSqliteFixture() : ChangesServerFixture(Backend.SqliteFileSystem);

public sealed class ChangesPostgresFixture() : ChangesServerFixture(Backend.PostgresFileSystem);
