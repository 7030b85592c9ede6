using Microsoft.Extensions.Options;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Limits on share links (<c>/s/…</c>), per client IP. A link's secret has 256 random bits, so
/// guessing one is hopeless; the budget of misses bounds the cost and noise of trying. It is
/// spent only by URLs that name no link, and asked only after a lookup failed, so a valid link
/// always opens, whatever others on the same IP (a NAT) got wrong. Passwords are different: a
/// person picks them, so like login the budget of wrong ones is asked before a password is
/// checked, and an IP that spent it is refused until permits come back.
/// </summary>
public sealed class ShareLimits : IDisposable
{
    public ShareLimits(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        Misses = new FailureThrottle(o.Enabled, o.ShareMissesPerIpPerMinute);
        FailedPasswords = new FailureThrottle(o.Enabled, o.SharePasswordFailuresPerIpPerMinute);
    }

    /// <summary>URLs that named no link (<c>RateLimiting:ShareMissesPerIpPerMinute</c>).</summary>
    public FailureThrottle Misses { get; }

    /// <summary>Wrong link passwords (<c>RateLimiting:SharePasswordFailuresPerIpPerMinute</c>).</summary>
    public FailureThrottle FailedPasswords { get; }

    public void Dispose()
    {
        Misses.Dispose();
        FailedPasswords.Dispose();
    }
}
