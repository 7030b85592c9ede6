using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace UnhostedStore.Telemetry;

/// <summary>
/// The <c>UnhostedStore</c> meter, exported by Prometheus <c>/metrics</c> (when enabled). The
/// instruments cost next to nothing without a listener; with one, each request adds to a counter
/// with two tags (cached boxed values, so no allocation).
/// </summary>
public static class StoreMetrics
{
    public const string MeterName = "UnhostedStore";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Every request, by route family and status code.</summary>
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("unhostedstore.requests", description: "HTTP requests by route family and status code");

    /// <summary>GET and HEAD on storage, the denominator of the 304 ratio.</summary>
    private static readonly Counter<long> StorageReads = Meter.CreateCounter<long>("unhostedstore.storage.reads", description: "Storage GET and HEAD requests");

    private static readonly Counter<long> NotModified = Meter.CreateCounter<long>("unhostedstore.storage.not_modified", description: "Storage reads answered 304 Not Modified");

    private static readonly Counter<long> BytesIn = Meter.CreateCounter<long>("unhostedstore.storage.received", unit: "By", description: "Document bytes received by storage PUTs");

    private static readonly Counter<long> BytesOut = Meter.CreateCounter<long>("unhostedstore.storage.sent", unit: "By", description: "Document and folder bytes sent by storage GETs");

    private static readonly Counter<long> QuotaRejections = Meter.CreateCounter<long>("unhostedstore.storage.quota_rejections", description: "PUTs refused with 507 because a quota would be exceeded");

    private static readonly Counter<long> TokenFailures = Meter.CreateCounter<long>("unhostedstore.storage.token_failures", description: "Storage requests whose bearer token was not valid (401)");

    private static readonly Histogram<double> DatabaseDuration = Meter.CreateHistogram<double>("unhostedstore.db.duration", unit: "s", description: "Metadata database command durations");

    private static readonly Histogram<double> S3Duration = Meter.CreateHistogram<double>("unhostedstore.s3.duration", unit: "s", description: "S3 request durations by operation");

    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 600).Select(i => (object)i)];

    public static void RecordRequest(string family, int status)
    {
        if (!Requests.Enabled)
        {
            return;
        }

        object code = status is >= 0 and < 600 ? StatusCodes[status] : status;
        Requests.Add(1, new KeyValuePair<string, object?>("family", family), new KeyValuePair<string, object?>("status", code));
    }

    /// <summary>A storage GET or HEAD, the denominator of the 304 ratio.</summary>
    public static void RecordStorageRead(bool notModified)
    {
        StorageReads.Add(1);
        if (notModified)
        {
            NotModified.Add(1);
        }
    }

    /// <summary>Document or listing bytes a storage GET sent.</summary>
    public static void RecordBytesOut(long bytes)
    {
        if (bytes > 0)
        {
            BytesOut.Add(bytes);
        }
    }

    /// <summary>A PUT refused with 507.</summary>
    public static void RecordQuotaRejection() => QuotaRejections.Add(1);

    /// <summary>A storage request whose bearer token was not valid.</summary>
    public static void RecordTokenFailure() => TokenFailures.Add(1);

    public static void RecordBytesIn(long bytes)
    {
        if (bytes > 0)
        {
            BytesIn.Add(bytes);
        }
    }

    public static void RecordDatabase(TimeSpan duration) => DatabaseDuration.Record(duration.TotalSeconds);

    public static void RecordS3(string operation, long startTimestamp) =>
        S3Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>The route family of a path: storage, webfinger, oauth, health, metrics or pages.</summary>
    public static string FamilyOf(PathString path)
    {
        if (path.StartsWithSegments("/storage", StringComparison.Ordinal))
        {
            return "storage";
        }

        if (path.StartsWithSegments("/.well-known", StringComparison.OrdinalIgnoreCase))
        {
            return "webfinger";
        }

        if (path.StartsWithSegments("/oauth", StringComparison.OrdinalIgnoreCase))
        {
            return "oauth";
        }

        if (path.StartsWithSegments("/healthz", StringComparison.Ordinal) || path.StartsWithSegments("/readyz", StringComparison.Ordinal))
        {
            return "health";
        }

        return path.StartsWithSegments("/metrics", StringComparison.Ordinal) ? "metrics" : "pages";
    }
}

/// <summary>First in the pipeline: counts every request by route family and final status.</summary>
public sealed class RequestMetricsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var family = StoreMetrics.FamilyOf(context.Request.Path);
        try
        {
            await next(context);
        }
        catch
        {
            StoreMetrics.RecordRequest(family, context.Response.HasStarted ? context.Response.StatusCode : StatusCodes.Status500InternalServerError);
            throw;
        }

        StoreMetrics.RecordRequest(family, context.Response.StatusCode);
    }
}
