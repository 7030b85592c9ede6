using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using UnhostedStore.Hosting;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Limits on storage requests: per client IP, per valid token (keyed by the token's SHA-256, the
/// token itself is never kept), on misses under <c>/public/</c>, and on invalid tokens per IP.
/// </summary>
public sealed class StorageRateLimiter : IDisposable
{
    private readonly bool _enabled;
    private readonly PartitionedRateLimiter<IPAddress> _requests;
    private readonly PartitionedRateLimiter<IPAddress> _publicMisses;
    private readonly PartitionedRateLimiter<string> _tokens;

    public StorageRateLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _enabled = o.Enabled;
        _requests = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip =>
            RateLimitPartition.GetTokenBucketLimiter(ip, _ => RateLimitOptions.PerSecond(o.StoragePerIpPerSecond, o.StoragePerIpBurst)));
        _tokens = PartitionedRateLimiter.Create<string, string>(hash =>
            RateLimitPartition.GetTokenBucketLimiter(hash, _ => RateLimitOptions.PerSecond(o.StoragePerTokenPerSecond, o.StoragePerTokenBurst)));
        FailedTokens = new FailureThrottle(o.Enabled, o.FailedTokensPerIpPerMinute);
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

    /// <summary>Invalid tokens per client IP: checked before a token is validated.</summary>
    public FailureThrottle FailedTokens { get; }

    /// <summary>Takes one request permit of an authenticated token; returns the wait to announce when there is none.</summary>
    public TimeSpan? TryAcquireForToken(string token)
    {
        if (!_enabled)
        {
            return null;
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        using var lease = _tokens.AttemptAcquire(hash, 1);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);
    }

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
        _tokens.Dispose();
        FailedTokens.Dispose();
    }
}
