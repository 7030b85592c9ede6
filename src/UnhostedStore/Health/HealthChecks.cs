using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;

namespace UnhostedStore.Health;

/// <summary>
/// <c>/healthz</c> (liveness: the process answers, nothing else is asked) and <c>/readyz</c>
/// (the metadata database and the blob store answer within <see cref="CheckTimeout"/>). Both are
/// answered first in the pipeline: on every host, without authentication or rate limits.
/// </summary>
public static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    public const string ReadyTag = "ready";

    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static IServiceCollection AddStoreHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", HealthStatus.Unhealthy, [ReadyTag], CheckTimeout)
            .AddCheck<BlobStoreHealthCheck>("blobs", HealthStatus.Unhealthy, [ReadyTag], CheckTimeout);
        return services;
    }

    public static IApplicationBuilder UseStoreHealthChecks(this IApplicationBuilder app)
    {
        app.UseHealthChecks(LivenessPath, new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (context, _) =>
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                context.Response.Headers.CacheControl = "no-store";
                return context.Response.WriteAsync("ok");
            },
        });
        app.UseHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReadinessAsync,
        });
        return app;
    }

    /// <summary><c>{"status":"ready","failed":[]}</c> or <c>{"status":"unavailable","failed":["database"]}</c>;
    /// no exception texts (they stay in the log).</summary>
    private static async Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var failed = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key).Order(StringComparer.Ordinal).ToArray();
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status == HealthStatus.Healthy ? "ready" : "unavailable");
        json.WriteStartArray("failed");
        foreach (var name in failed)
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}

/// <summary>The metadata database answers a trivial query.</summary>
public sealed class DatabaseHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
            await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken).WaitAsync(HealthEndpoints.CheckTimeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the metadata database does not answer", e);
        }
    }
}

/// <summary>The blob store answers (<see cref="IBlobStore.CheckAsync"/>: the bucket exists, or the folder is there).</summary>
public sealed class BlobStoreHealthCheck(IBlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await blobs.CheckAsync(cancellationToken).WaitAsync(HealthEndpoints.CheckTimeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the blob store does not answer", e);
        }
    }
}
