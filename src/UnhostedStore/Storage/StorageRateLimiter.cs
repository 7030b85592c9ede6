using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using UnhostedStore.Hosting;

namespace UnhostedStore.Storage;

/// <summary>Per-IP limits on storage requests and on misses under <c>/public/</c>.</summary>
public sealed class StorageRateLimiter : IDisposable
{
    private readonly bool _enabled;
    private readonly PartitionedRateLimiter<IPAddress> _requests;
    private readonly PartitionedRateLimiter<IPAddress> _publicMisses;

    public StorageRateLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _enabled = o.Enabled;
        _requests = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip => RateLimitPartition.GetTokenBucketLimiter(ip, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.StoragePerIpBurst,
            TokensPerPeriod = o.StoragePerIpPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _publicMisses = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip => RateLimitPartition.GetSlidingWindowLimiter(ip, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = o.PublicMissesPerMinute,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one request permit; returns the wait to announce when there is none.</summary>
    public TimeSpan? TryAcquireRequest(HttpContext context) => Acquire(_requests, context, 1, TimeSpan.FromSeconds(1));

    /// <summary>Whether this client may still probe <c>/public/</c> (takes no permit).</summary>
    public TimeSpan? CheckPublicMisses(HttpContext context) => Acquire(_publicMisses, context, 0, TimeSpan.FromSeconds(10));

    /// <summary>Counts one tokenless miss under <c>/public/</c>.</summary>
    public void RecordPublicMiss(HttpContext context) => Acquire(_publicMisses, context, 1, TimeSpan.Zero);

    private TimeSpan? Acquire(PartitionedRateLimiter<IPAddress> limiter, HttpContext context, int permits, TimeSpan fallback)
    {
        if (!_enabled)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire(context.Connection.RemoteIpAddress ?? IPAddress.None, permits);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : fallback;
    }

    public void Dispose()
    {
        _requests.Dispose();
        _publicMisses.Dispose();
    }
}
