using Microsoft.AspNetCore.Http.Features;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Hosting;

/// <summary>Composition of the one deployable: services, Kestrel limits and the request pipeline.</summary>
public static class AppHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        ConfigureServices(builder);
        var app = builder.Build();
        ConfigurePipeline(app);
        return app;
    }

    public static void ConfigureServices(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Our own limits answer 414 and 413 with CORS headers; Kestrel's would not.
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.MaxRequestBufferSize = 1024 * 1024;
        });

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateWithFluent<StorageOptions, StorageOptionsValidator>();

        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateWithFluent<RateLimitOptions, RateLimitOptionsValidator>();
        services.AddSingleton<StorageRateLimiter>();

        var database = DatabaseOptions.FromConfiguration(configuration);
        services.AddOptions<DatabaseOptions>()
            .Configure(o =>
            {
                o.MigrateOnStart = database.MigrateOnStart;
                o.PostgresConnectionString = database.PostgresConnectionString;
                o.DataDirectory = database.DataDirectory;
            })
            .ValidateWithFluent<DatabaseOptions, DatabaseOptionsValidator>();

        services.AddPersistence(database);
        services.AddSingleton<IBlobStore>(_ => new FileSystemBlobStore(Path.Combine(Path.GetFullPath(database.DataDirectory), "blobs")));
        services.AddSingleton(TimeProvider.System);
        services.AddScoped<StorageService>();
        services.AddSingleton<StorageAuthenticator>();
        services.AddAuthentication();
        services.AddHostedService<MigrationHostedService>();
    }

    public static void ConfigurePipeline(WebApplication app)
    {
        // The server resolves "." and ".." before routing, so a storage target that used them
        // may no longer look like one. Hand those to the storage handler, which rejects them
        // from the raw target with CORS headers (draft-26 §4).
        app.Use((context, next) =>
        {
            var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (raw is not null && raw.StartsWith(StorageEndpoints.Prefix, StringComparison.Ordinal)
                && !context.Request.Path.StartsWithSegments("/storage", StringComparison.Ordinal))
            {
                return StorageEndpoints.HandleAsync(context);
            }

            return next(context);
        });

        app.MapStorage();
    }
}

/// <summary>Applies migrations before the server starts listening, unless
/// <c>Database:MigrateOnStart</c> is false (then run the <c>migrate</c> command).</summary>
public sealed partial class MigrationHostedService(
    IServiceProvider services,
    Microsoft.Extensions.Options.IOptions<DatabaseOptions> options,
    ILogger<MigrationHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStart)
        {
            return;
        }

        await PersistenceServices.MigrateAsync(services, cancellationToken);
        LogMigrated(logger, options.Value.Provider);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Metadata database ({Provider}) is up to date")]
    private static partial void LogMigrated(ILogger logger, DatabaseProvider provider);
}
