using System.Globalization;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.MultiInstance;

/// <summary>
/// Two server processes (A and B) on one PostgreSQL database and one S3 bucket, each with a
/// DataDirectory of its own, so nothing but the database and the bucket is shared. Every HTTP
/// request of the contract tests goes to A, then B, then A … (<see cref="AlternatingHandler"/>;
/// raw-socket requests alternate through <see cref="BaseAddress"/>). The in-process server of
/// the base fixture (a third instance on the same database and bucket) only mints test tokens
/// and answers <see cref="ServerFixture.CreateScope"/>; no contract request reaches it.
/// </summary>
public sealed class PostgresS3TwoInstancesFixture() : ServerFixture(Backend.PostgresS3)
{
    private readonly ServerProcess?[] _instances = new ServerProcess?[2];
    private readonly string[] _dataDirectories =
    [
        Path.Combine(Path.GetTempPath(), "us-test-a-" + Guid.NewGuid().ToString("N")),
        Path.Combine(Path.GetTempPath(), "us-test-b-" + Guid.NewGuid().ToString("N")),
    ];

    private long _reads = -1;

    public ServerProcess A => _instances[0]!;

    public ServerProcess B => _instances[1]!;

    /// <summary>Requests the alternating clients sent to A and to B so far.</summary>
    public long[] RequestsSent { get; } = new long[2];

    /// <summary>A, B, A, … on each read: raw-socket requests alternate too.</summary>
    public override Uri BaseAddress => _instances[0] is null
        ? InProcessAddress
        : _instances[(int)(Interlocked.Increment(ref _reads) & 1)]!.BaseAddress;

    protected override async Task AfterStartAsync()
    {
        // The in-process server has migrated the database; both processes start together.
        var starts = new[] { StartInstanceAsync(0), StartInstanceAsync(1) };
        try
        {
            await Task.WhenAll(starts);
        }
        finally
        {
            // Whatever did start is stopped with the fixture, even if the other did not.
            for (var i = 0; i < starts.Length; i++)
            {
                _instances[i] = starts[i].IsCompletedSuccessfully ? starts[i].Result : null;
            }
        }
    }

    /// <summary>Kills instance <paramref name="index"/> and starts a fresh process in its place,
    /// with a new, empty DataDirectory: whatever it remembers comes from the database.</summary>
    public async Task<ServerProcess> RestartAsync(int index)
    {
        await _instances[index]!.DisposeAsync();
        _dataDirectories[index] += "-restarted";
        _instances[index] = await StartInstanceAsync(index);
        return _instances[index]!;
    }

    protected override HttpMessageHandler WrapHandler(SocketsHttpHandler handler) =>
        new AlternatingHandler(handler, () => [A.BaseAddress, B.BaseAddress], RequestsSent);

    /// <summary>The environment of a server process on this fixture's database and bucket.</summary>
    public Dictionary<string, string> ProcessEnvironment(string dataDirectory)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DataDirectory"] = dataDirectory,
            ["ConnectionStrings__Postgres"] = PostgresConnectionString!,
            ["Storage__MaxDocumentBytes"] = MaxDocumentBytes.ToString(CultureInfo.InvariantCulture),
            ["Storage__InlineMaxBytes"] = "16",
            ["RateLimiting__StoragePerIpPerSecond"] = "1000000",
            ["RateLimiting__StoragePerIpBurst"] = "1000000",
            ["RateLimiting__PublicMissesPerMinute"] = "1000000",
        };
        foreach (var (key, value) in TestS3.Settings(S3Bucket))
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return env;
    }

    private Task<ServerProcess> StartInstanceAsync(int index)
    {
        Directory.CreateDirectory(_dataDirectories[index]);
        return ServerProcess.StartAsync(ProcessEnvironment(_dataDirectories[index]));
    }

    protected override async Task AfterStopAsync()
    {
        foreach (var instance in _instances)
        {
            if (instance is not null)
            {
                await instance.DisposeAsync();
            }
        }

        foreach (var dir in _dataDirectories)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>
/// The storage contract classes on two instances share one fixture: each fixture is three servers
/// (two processes and the in-process one that migrates), and a process costs about 3 s of CPU to
/// start. The classes then run one after another, under their own users as everywhere.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TwoInstancesCollection : ICollectionFixture<PostgresS3TwoInstancesFixture>
{
    public const string Name = "Two instances";
}

/// <summary>Sends each request to the next of several servers in turn (rewrites host and port).</summary>
public sealed class AlternatingHandler(HttpMessageHandler inner, Func<Uri[]> targets, long[] counts) : DelegatingHandler(inner)
{
    private long _next = -1;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var all = targets();
        var index = (int)(Interlocked.Increment(ref _next) % all.Length);
        var target = all[index];
        request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri;
        Interlocked.Increment(ref counts[index]);
        return base.SendAsync(request, cancellationToken);
    }
}
