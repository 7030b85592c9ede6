using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace UnhostedStore.Telemetry;

/// <summary>
/// Prometheus <c>/metrics</c>, protected by <c>Metrics:Token</c> (bearer) and/or served only on
/// <c>Metrics:Port</c>. The port is told by the connection's local port, not by the Host header,
/// which any client may set.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Serves <c>/metrics</c>; on <c>Metrics:Port</c> also <paramref name="alsoOnMetricsPort"/> (health), and nothing else.</summary>
    public static void Use(WebApplication app, params string[] alsoOnMetricsPort)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.Enabled)
        {
            return;
        }

        var port = options.Port;
        var expected = string.IsNullOrEmpty(options.Token) ? null : Encoding.UTF8.GetBytes("Bearer " + options.Token);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => context.Request.Path == Path && (port is null || context.Connection.LocalPort == port),
            path: null,
            configureBranchedPipeline: branch => branch.Use((context, next) =>
            {
                if (expected is not null && !Authorized(context, expected))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    return Task.CompletedTask;
                }

                return next(context);
            }),
            optionsName: null);

        if (port is not null)
        {
            // The metrics port serves metrics and health, nothing else.
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort == port
                    && !alsoOnMetricsPort.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.Ordinal)))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }
    }

    private static bool Authorized(HttpContext context, byte[] expected)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(value), expected);
    }
}
