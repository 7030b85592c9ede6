using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using OpenTelemetry.Metrics;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Blobs;
using UnhostedStore.Health;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Telemetry;
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

        ConfigureOperations(builder);

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
        services.AddSingleton<UserWriteQueues>();
        services.AddSingleton<FolderListingCache>();
        services.AddSingleton<StorageAuthenticator>();
        services.AddTokenCache(database);
        services.AddHostedService<MigrationHostedService>();

        services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section).ValidateWithFluent<HostingOptions, HostingOptionsValidator>();
        services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<HostingOptions>>((o, hosting) =>
            o.ShutdownTimeout = TimeSpan.FromSeconds(hosting.Value.ShutdownTimeoutSeconds));
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
        services.AddOAuth(configuration);
    }

    /// <summary>Logs, metrics and health: <c>Logging:Format</c>, <c>Metrics:*</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    private static void ConfigureOperations(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        var logging = configuration.GetSection(LoggingOptions.Section).Get<LoggingOptions>() ?? new LoggingOptions();
        if (logging.Format == LogFormat.Json)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        // "Request starting GET /path?query" and Kestrel's bad-request lines carry query strings
        // (where tokens may be): never below Warning, whatever Logging:LogLevel says.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", level => level >= LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", level => level >= LogLevel.Warning);

        // OpenIddict logs every OAuth request's parameters (state, scope, redirect_uri …: the
        // query string) at Information and more at Debug; only its warnings and errors are kept.
        builder.Logging.AddFilter("OpenIddict", level => level >= LogLevel.Warning);

        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateWithFluent<MetricsOptions, MetricsOptionsValidator>();
        var metrics = configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (metrics.Enabled)
        {
            services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(StoreMetrics.MeterName).AddPrometheusExporter());
        }

        if (metrics.Port is { } port)
        {
            // One more listen address beside the configured ones (--urls, ASPNETCORE_URLS or
            // ASPNETCORE_HTTP_PORTS); Kestrel:Endpoints users list the port there themselves.
            var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
            if (string.IsNullOrWhiteSpace(urls))
            {
                var httpPorts = builder.WebHost.GetSetting(WebHostDefaults.HttpPortsKey);
                urls = string.IsNullOrWhiteSpace(httpPorts)
                    ? "http://localhost:5000"
                    : string.Join(';', httpPorts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => "http://*:" + p));
            }

            builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, urls + ";http://*:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        services.AddStoreHealthChecks();
    }

    public static void ConfigurePipeline(WebApplication app)
    {
        // Before everything else, so that they hold for every request on every host.
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseStoreHealthChecks();
        MetricsEndpoint.Use(app);

        app.UseForwardedHeaders();
        app.UseMiddleware<HostSplitMiddleware>();

        // Storage leaves the pipeline here: it needs none of what follows (pages, static files,
        // routing, cookie authentication), and every middleware costs on the hot path (issue 6).
        // Targets are matched raw: the server has already resolved "." and ".." in Path, so a
        // storage target that used them may no longer look like one, and the handler must
        // reject them itself, with CORS headers (draft-26 §4).
        app.Use((context, next) => StorageEndpoints.IsStorageRequest(context) ? StorageEndpoints.HandleAsync(context) : next(context));

        app.UseMiddleware<SecurityHeadersMiddleware>();

        // Before authentication: OpenIddict answers the OAuth endpoints from inside it.
        app.UseMiddleware<PageRateLimitMiddleware>();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseEndpoints(_ => { });

        app.MapWebFinger();
        app.MapOAuth();
        app.MapRazorPages();

        // The CLI and tests mint tokens by running one token request through this pipeline.
        app.Services.GetRequiredService<InProcessPipeline>().Set(() => ((IApplicationBuilder)app).Build());
    }
}

/// <summary>Applies migrations before the server starts listening, unless
/// <c>Database:MigrateOnStart</c> is false (then run the <c>migrate</c> command), then loads the
/// keys every instance shares from the database (<see cref="ServerKeyStore"/>). Several instances
/// starting together is safe: EF Core's Migrate holds a database lock while it migrates
/// (SQLite: the <c>__EFMigrationsLock</c> row; PostgreSQL: a lock on the history table).</summary>
public sealed partial class MigrationHostedService(
    IServiceProvider services,
    Microsoft.Extensions.Options.IOptions<DatabaseOptions> options,
    ILogger<MigrationHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await PersistenceServices.MigrateAsync(services, cancellationToken);
            LogMigrated(logger, options.Value.Provider);
        }

        await ServerKeyStore.PrepareAsync(services, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Metadata database ({Provider}) is up to date")]
    private static partial void LogMigrated(ILogger logger, DatabaseProvider provider);
}
