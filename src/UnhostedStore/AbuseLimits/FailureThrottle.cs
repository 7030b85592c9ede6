using System.Net;
using System.Threading.RateLimiting;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Counts failures (bad tokens, bad passwords) per client IP in a token bucket of
/// <c>perMinute</c> permits. <see cref="Check"/> takes nothing; <see cref="Record"/> takes one
/// permit per failure. Logins ask before the password is checked, so an IP whose bucket is empty
/// is refused until a permit comes back and guessing runs at most at that rate. Storage asks only
/// once a token has failed, so a valid token is never refused for other people's failures on a
/// shared IP (draft-26 §14; StorageRateLimiter.FailedTokens says why that is safe).
/// </summary>
public sealed class FailureThrottle : IDisposable
{
    private readonly bool _enabled;
    private readonly TimeSpan _period;
    private readonly PartitionedRateLimiter<IPAddress> _failures;

    public FailureThrottle(bool enabled, int perMinute)
    {
        _enabled = enabled;
        var options = RateLimitOptions.PerMinute(perMinute);
        _period = options.ReplenishmentPeriod;
        _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip => RateLimitPartition.GetTokenBucketLimiter(ip, _ => RateLimitOptions.PerMinute(perMinute)));
    }

    /// <summary>The wait to announce when this client has no failures left, otherwise null.</summary>
    public TimeSpan? Check(HttpContext context)
    {
        // The statistics floor the bucket's fractional fill: a client with half a permit left
        // is refused, so a failure it then makes is always counted.
        if (!_enabled || _failures.GetStatistics(ClientIp(context)) is not { } stats || stats.CurrentAvailablePermits >= 1)
        {
            return null;
        }

        return _period;
    }

    /// <summary>Counts one failure of this client.</summary>
    public void Record(HttpContext context)
    {
        if (_enabled)
        {
            using var lease = _failures.AttemptAcquire(ClientIp(context), 1);
        }
    }

    public static IPAddress ClientIp(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;

    /// <summary>Whole seconds for a <c>Retry-After</c> header (at least 1).</summary>
    public static string RetryAfterSeconds(TimeSpan wait) =>
        Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _failures.Dispose();
}
