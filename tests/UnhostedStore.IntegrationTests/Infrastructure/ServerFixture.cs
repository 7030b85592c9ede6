using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.Infrastructure;

public enum Backend
{
    SqliteFileSystem,
    PostgresFileSystem,
    PostgresS3,
}

/// <summary>
/// One real server (Kestrel on 127.0.0.1, a random port) for one test class and one backend.
/// Contract test classes take a <see cref="ServerFixture"/> and run unchanged on every backend.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes fixtures through IAsyncLifetime.")]
public abstract class ServerFixture : IAsyncLifetime
{
    /// <summary>The document size limit the test servers run with (small, so 413 is cheap to test).</summary>
    public const long MaxDocumentBytes = 1024 * 1024;

    private Factory? _factory;

    protected ServerFixture(Backend backend)
    {
        Backend = backend;
        Tokens = new TestTokens(() => Services);
    }

    public Backend Backend { get; }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "us-test-" + Guid.NewGuid().ToString("N"));

    public TestTokens Tokens { get; }

    private Uri _baseAddress = null!;

    /// <summary>Where requests go; a fixture of several instances answers a different one each read.</summary>
    public virtual Uri BaseAddress => _baseAddress;

    /// <summary>The in-process server's own address.</summary>
    public Uri InProcessAddress => _baseAddress;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public string? PostgresConnectionString { get; private set; }

    /// <summary>The bucket of this fixture, on the PostgreSQL + S3 backend.</summary>
    public string S3Bucket { get; } = "us-" + Guid.NewGuid().ToString("N")[..20];

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        if (Backend is Backend.PostgresFileSystem or Backend.PostgresS3)
        {
            PostgresConnectionString = await CreatePostgresDatabaseAsync();
        }

        Directory.CreateDirectory(DataDirectory);
        _factory = new Factory(this);
        ConfigureKestrel(_factory);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _baseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        await AfterStartAsync();
        Client = NewClient();
    }

    /// <summary>A fresh client with no default headers, for requests that must not share any.</summary>
    public HttpClient NewClient() => NewClient(CreateHandler());

    /// <summary>A client over <paramref name="handler"/> (wrapped by <see cref="WrapHandler"/>).</summary>
    public HttpClient NewClient(SocketsHttpHandler handler) => new(WrapHandler(handler)) { BaseAddress = BaseAddress };

    /// <summary>What every client's requests pass through; the two-instance fixture sends them
    /// to its server processes in turn.</summary>
    protected virtual HttpMessageHandler WrapHandler(SocketsHttpHandler handler) => handler;

    protected virtual SocketsHttpHandler CreateHandler() =>
        new() { AutomaticDecompression = System.Net.DecompressionMethods.None, UseCookies = false, MaxConnectionsPerServer = 64 };

    /// <summary>How the real server listens; plain HTTP on a random loopback port by default.</summary>
    protected virtual void ConfigureKestrel(WebApplicationFactory<Program> factory) => factory.UseKestrel(0);

    /// <summary>Starts what a fixture needs before the server (a private S3 or PostgreSQL server
    /// of a fault test).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Starts what runs beside the in-process server (more server processes).</summary>
    protected virtual Task AfterStartAsync() => Task.CompletedTask;

    /// <summary>Stops what <see cref="BeforeStartAsync"/> started, after the server stopped.</summary>
    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    /// <summary>The database of a PostgreSQL backend: a new one on the shared test server by default.</summary>
    protected virtual Task<string> CreatePostgresDatabaseAsync() => TestPostgres.CreateDatabaseAsync();

    /// <summary>Extra settings for fixtures that test one setting (rate limits, …).</summary>
    protected virtual void ConfigureSettings(IWebHostBuilder builder)
    {
    }

    /// <summary>
    /// The suite sends thousands of requests (and many bad tokens and passwords) from one address;
    /// the abuse limits are tested by their own fixtures, which override these.
    /// </summary>
    public static IReadOnlyDictionary<string, string> UnlimitedRates { get; } = new Dictionary<string, string>
    {
        ["RateLimiting:StoragePerIpPerSecond"] = "1000000",
        ["RateLimiting:StoragePerIpBurst"] = "1000000",
        ["RateLimiting:PublicMissesPerMinute"] = "1000000",
        ["RateLimiting:StoragePerTokenPerSecond"] = "1000000",
        ["RateLimiting:StoragePerTokenBurst"] = "1000000",
        ["RateLimiting:FailedTokensPerIpPerMinute"] = "1000000",
        ["RateLimiting:PagesPerIpPerMinute"] = "1000000",
        ["RateLimiting:FailedLoginsPerIpPerMinute"] = "1000000",
    };

    /// <summary>A new user name, so tests in one class never see each other's data.</summary>
    public static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A scoped metadata context, for asserting on what was stored.</summary>
    public AsyncServiceScope CreateScope() => _factory!.Services.CreateAsyncScope();

    public static StorageDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<StorageDbContext>();

    /// <summary>Every blob key in this server's blob store (filesystem or S3).</summary>
    public async Task<HashSet<string>> StoredBlobKeysAsync()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var blob in Services.GetRequiredService<UnhostedStore.Blobs.IBlobStore>().ListAsync(CancellationToken.None))
        {
            keys.Add(blob.Key);
        }

        return keys;
    }

    /// <summary>Files a write left half-done in the filesystem store's temp folder (none on S3).</summary>
    public IEnumerable<string> BlobTempFiles()
    {
        var temp = Path.Combine(DataDirectory, "blobs", "tmp");
        return Backend == Backend.PostgresS3 || !Directory.Exists(temp) ? [] : Directory.EnumerateFiles(temp);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        try
        {
            if (_factory is not null)
            {
                await _factory.DisposeAsync();
            }
        }
        finally
        {
            await AfterStopAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Factory(ServerFixture fixture) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("DataDirectory", fixture.DataDirectory);
            builder.UseSetting("Storage:MaxDocumentBytes", MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (fixture.PostgresConnectionString is not null)
            {
                builder.UseSetting("ConnectionStrings:Postgres", fixture.PostgresConnectionString);
            }

            if (fixture.Backend == Backend.PostgresS3)
            {
                foreach (var (key, value) in TestS3.Settings(fixture.S3Bucket))
                {
                    builder.UseSetting(key, value);
                }
            }

            // The suite sends thousands of requests from one address; the abuse limits are
            // tested by their own fixture (RateLimitedServerFixture), which overrides these.
            foreach (var (key, value) in UnlimitedRates)
            {
                builder.UseSetting(key, value);
            }

            // Tiny documents stay inline; everything else goes through the blob store, so both
            // paths carry the whole suite.
            builder.UseSetting("Storage:InlineMaxBytes", "16");
            fixture.ConfigureSettings(builder);
        }
    }
}

public sealed class SqliteServerFixture() : ServerFixture(Backend.SqliteFileSystem);

public sealed class PostgresServerFixture() : ServerFixture(Backend.PostgresFileSystem);

public sealed class PostgresS3ServerFixture() : ServerFixture(Backend.PostgresS3);

public static class HttpExtensions
{
    public static HttpRequestMessage WithToken(this HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
