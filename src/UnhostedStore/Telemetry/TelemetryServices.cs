using OpenTelemetry.Metrics;

using UnhostedStore.Configuration;

namespace UnhostedStore.Telemetry;

public static class TelemetryServices
{
    /// <summary>Logs and metrics: <c>Logging:Format</c>, the log filters that keep secrets out, and <c>Metrics:*</c>.</summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
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

        return builder;
    }
}
