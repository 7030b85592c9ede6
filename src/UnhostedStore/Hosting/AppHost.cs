using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.KeyRing;
using UnhostedStore.Authorization;
using UnhostedStore.Blobs;
using UnhostedStore.DataFreedom;
using UnhostedStore.DataFreedom.Export;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.Health;
using UnhostedStore.Origins;
using UnhostedStore.Pages;
using UnhostedStore.Pages.Admin;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Previews;
using UnhostedStore.Sharing;
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

        builder.AddTelemetry();
        services.AddStoreHealthChecks();
        services.AddSingleton(new DatabaseCommandTimings(StoreMetrics.RecordDatabase));

        var database = services.AddPersistence(configuration);
        services.AddBlobStore(configuration, database.DataDirectory);
        services.AddSingleton(TimeProvider.System);
        services.AddPublicUrls();
        services.AddAccounts();
        services.AddDataProtectionKeys(configuration, database);
        services.AddTokenCache(database);
        services.AddOAuth(configuration);
        services.AddAbuseLimits();
        services.AddStorage();
        services.AddDataFreedomImport();
        services.AddDataFreedomExport();
        services.AddPreviews();
        services.AddSharing();
        services.AddHostedService<MigrationHostedService>();

        // After the migrations: its job starts erasing as soon as the host has started.
        services.AddDataFreedom();
        services.AddDataFreedomMoveIn();

        services.AddOptions<HostOptions>().Configure<IOptions<HostingOptions>>((o, hosting) =>
            o.ShutdownTimeout = TimeSpan.FromSeconds(hosting.Value.ShutdownTimeoutSeconds));
        services.AddRazorPages().AddPageLocalization();
        services.AddAdminPages();
    }

    public static void ConfigurePipeline(WebApplication app)
    {
        // Before everything else, so that they hold for every request on every host.
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseStoreHealthChecks();
        MetricsEndpoint.Use(app, HealthEndpoints.LivenessPath, HealthEndpoints.ReadinessPath);

        app.UseForwardedHeaders();
        app.UseMiddleware<HostSplitMiddleware>();

        // Storage leaves the pipeline here: it needs none of what follows (pages, static files,
        // routing, cookie authentication), and every middleware costs on the hot path.
        // Targets are matched raw: the server has already resolved "." and ".." in Path, so a
        // storage target that used them may no longer look like one, and the handler must
        // reject them itself, with CORS headers (draft-26 §4).
        app.Use((context, next) => StorageEndpoints.IsStorageRequest(context) ? StorageTelemetry.HandleAsync(context) : next(context));

        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseImportUploadLimits();

        // Before authentication: OpenIddict answers the OAuth endpoints from inside it.
        app.UseMiddleware<PageRateLimitMiddleware>();
        app.UseStaticFiles();
        app.UsePageLocalization();
        app.UseRouting();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseEndpoints(_ => { });

        app.MapWebFinger();
        app.MapOAuth();
        app.MapRazorPages();
        app.MapDataFreedom();

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
    IOptions<DatabaseOptions> options,
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
