using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using UnhostedStore.Authorization;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Limits on storage requests: per client IP, per valid token (keyed by <see cref="TokenKey"/>, the
/// token's SHA-256: the token itself is never kept), on misses under <c>/public/</c>, and on invalid tokens per IP.
/// </summary>
public sealed class StorageRateLimiter : IDisposable
{
    private readonly bool _enabled;
    private readonly PartitionedRateLimiter<IPAddress> _requests;
    private readonly PartitionedRateLimiter<IPAddress> _publicMisses;
    private readonly PartitionedRateLimiter<TokenKey> _tokens;

    public StorageRateLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _enabled = o.Enabled;
        _requests = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip =>
            RateLimitPartition.GetTokenBucketLimiter(ip, _ => RateLimitOptions.PerSecond(o.StoragePerIpPerSecond, o.StoragePerIpBurst)));
        _tokens = PartitionedRateLimiter.Create<TokenKey, TokenKey>(hash =>
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

    /// <summary>
    /// Takes one request permit; returns the wait to announce when there is none. A request with
    /// a valid token draws from that token's bucket only, every other request (no token, a
    /// malformed or an invalid one) from its client IP's. draft-26 §14 asks to limit abuse, not
    /// users: behind a NAT or a carrier-grade NAT many people share one IP, and the anonymous or
    /// failing traffic of some of them must never refuse another one's valid credential. Only
    /// tokens that authenticated get a bucket, so unknown ones can't fill memory.
    /// </summary>
    public TimeSpan? TryAcquireRequest(HttpContext context, TokenKey? validToken) =>
        validToken is { } key ? TryAcquireForToken(key) : Acquire(_requests, context, 1, TimeSpan.FromSeconds(1));

    /// <summary>
    /// Invalid tokens per client IP. Every token is validated first (a valid one is usually
    /// answered from the validated-token cache); only a token that fails gets 429 instead of 401
    /// once its IP's budget is empty. Tokens are 256-bit random, so guessing is hopeless anyway:
    /// this bounds the cost and noise of a client that keeps presenting bad tokens (it is told to
    /// back off with Retry-After) without hiding whether a token is valid.
    /// </summary>
    public FailureThrottle FailedTokens { get; }

    /// <summary>Takes one request permit of an authenticated token; returns the wait to announce when there is none.</summary>
    private TimeSpan? TryAcquireForToken(TokenKey key)
    {
        if (!_enabled)
        {
            return null;
        }

        using var lease = _tokens.AttemptAcquire(key, 1);
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
