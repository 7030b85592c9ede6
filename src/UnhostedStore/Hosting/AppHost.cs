using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.WebFinger;

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
        services.AddSingleton<PageRateLimiter>();

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
        services.AddBlobStore(configuration, database.DataDirectory);
        services.AddSingleton(TimeProvider.System);
        services.AddScoped<StorageService>();
        services.AddSingleton<StorageAuthenticator>();
        services.AddHostedService<MigrationHostedService>();

        services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section).ValidateWithFluent<HostingOptions, HostingOptionsValidator>();
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateWithFluent<AccountOptions, AccountOptionsValidator>();
        services.AddSingleton<PublicUrls>();
        services.AddSingleton<SetupLinks>();
        services.AddHostedService<FirstRunHostedService>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<HostingOptions>>((o, hosting) =>
        {
            // Forwarded scheme and host decide the URLs WebFinger advertises; only trusted
            // proxies (loopback by default, plus Hosting:KnownProxies) may set them.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            foreach (var proxy in hosting.Value.KnownProxies)
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });

        services.AddRazorPages();
        services.AddOAuth(configuration, database);
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

        app.UseForwardedHeaders();
        app.UseMiddleware<HostSplitMiddleware>();
        app.UseMiddleware<SecurityHeadersMiddleware>();

        // Before authentication: OpenIddict answers the OAuth endpoints from inside it.
        app.UseMiddleware<PageRateLimitMiddleware>();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseEndpoints(_ => { });

        app.MapStorage();
        app.MapWebFinger();
        app.MapOAuth();
        app.MapRazorPages();

        // The CLI and tests mint tokens by running one token request through this pipeline.
        app.Services.GetRequiredService<InProcessPipeline>().Set(() => ((IApplicationBuilder)app).Build());
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
