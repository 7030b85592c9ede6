using System.Threading.RateLimiting;
using FluentValidation;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Configuration section <c>RateLimiting</c>: abuse limits (draft-26 §5, §14). On storage, each
/// valid token has a token bucket for its requests, and each client IP one for the requests that
/// carry no valid token (a valid token never draws from its IP's bucket: many people may share one
/// IP behind a NAT); each client IP has a much smaller one for <c>/public/</c> documents that turn
/// out not to exist (so capability URLs can't be guessed) and one for invalid tokens (which then get
/// 429 instead of 401). The OAuth endpoints and
/// the login, signup and setup pages have a per-IP budget, and failed logins a smaller one on top
/// of Identity's per-account lockout. All answer 429 with <c>Retry-After</c>.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    /// <summary><c>RateLimiting:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>RateLimiting:StoragePerIpPerSecond</c>: sustained storage requests per client IP
    /// that carry no valid token (anonymous, malformed or invalid token).</summary>
    public int StoragePerIpPerSecond { get; set; } = 200;

    /// <summary><c>RateLimiting:StoragePerIpBurst</c>: requests a client IP may send at once.</summary>
    public int StoragePerIpBurst { get; set; } = 1000;

    /// <summary><c>RateLimiting:PublicMissesPerMinute</c>: tokenless reads of missing
    /// <c>/public/</c> documents per client IP before it gets 429.</summary>
    public int PublicMissesPerMinute { get; set; } = 60;

    /// <summary><c>RateLimiting:StoragePerTokenPerSecond</c>: sustained storage requests per valid token.</summary>
    /// <remarks>
    /// With <see cref="StoragePerTokenBurst"/>, sized so that a remotestorage.js app's first sync of
    /// a 10,000-document module (10,011 requests, 10 in parallel) gets no 429 even over loopback,
    /// where it ran at 4,600–8,700 requests/s (AbuseLimitFirstSyncTests; README "Abuse limits"). Over a real
    /// network 10 parallel requests make a few hundred per second, far under the sustained rate.
    /// </remarks>
    public int StoragePerTokenPerSecond { get; set; } = 1000;

    /// <summary><c>RateLimiting:StoragePerTokenBurst</c>: requests one token may send at once.</summary>
    public int StoragePerTokenBurst { get; set; } = 10000;

    /// <summary><c>RateLimiting:FailedTokensPerIpPerMinute</c>: invalid, expired or revoked tokens a
    /// client IP may present to storage per minute; beyond that, its invalid tokens get 429 instead
    /// of 401. Valid tokens from that IP are still served.</summary>
    public int FailedTokensPerIpPerMinute { get; set; } = 30;

    /// <summary><c>RateLimiting:PagesPerIpPerMinute</c>: requests per client IP per minute to the
    /// OAuth endpoints (<c>/oauth/*</c>) and the login, signup and setup pages.</summary>
    public int PagesPerIpPerMinute { get; set; } = 60;

    /// <summary><c>RateLimiting:FailedLoginsPerIpPerMinute</c>: failed password logins per client IP
    /// per minute, whichever accounts they tried.</summary>
    public int FailedLoginsPerIpPerMinute { get; set; } = 10;

    /// <summary><c>RateLimiting:ShareMissesPerIpPerMinute</c>: share-link URLs (<c>/s/…</c>) that
    /// name no link, per client IP per minute; beyond that such URLs get 429. Valid links from
    /// that IP still open.</summary>
    public int ShareMissesPerIpPerMinute { get; set; } = 30;

    /// <summary><c>RateLimiting:SharePasswordFailuresPerIpPerMinute</c>: wrong share-link passwords
    /// per client IP per minute, whichever links were tried.</summary>
    public int SharePasswordFailuresPerIpPerMinute { get; set; } = 10;

    /// <summary>
    /// A token bucket that holds <paramref name="perMinute"/> permits and refills at that rate
    /// per minute, in steps of at most a second (so <c>Retry-After</c> is short and exact).
    /// </summary>
    public static TokenBucketRateLimiterOptions PerMinute(int perMinute) => new()
    {
        TokenLimit = perMinute,
        TokensPerPeriod = perMinute >= 60 ? (perMinute + 59) / 60 : 1,
        ReplenishmentPeriod = perMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>A token bucket of <paramref name="burst"/> permits refilled by <paramref name="perSecond"/> each second.</summary>
    public static TokenBucketRateLimiterOptions PerSecond(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}

public sealed class RateLimitOptionsValidator : AbstractValidator<RateLimitOptions>
{
    public RateLimitOptionsValidator()
    {
        RuleFor(o => o.StoragePerIpPerSecond).GreaterThan(0).WithName("RateLimiting:StoragePerIpPerSecond");
        RuleFor(o => o.StoragePerIpBurst).GreaterThan(0).WithName("RateLimiting:StoragePerIpBurst");
        RuleFor(o => o.PublicMissesPerMinute).GreaterThan(0).WithName("RateLimiting:PublicMissesPerMinute");
        RuleFor(o => o.StoragePerTokenPerSecond).GreaterThan(0).WithName("RateLimiting:StoragePerTokenPerSecond");
        RuleFor(o => o.StoragePerTokenBurst).GreaterThan(0).WithName("RateLimiting:StoragePerTokenBurst");
        RuleFor(o => o.FailedTokensPerIpPerMinute).GreaterThan(0).WithName("RateLimiting:FailedTokensPerIpPerMinute");
        RuleFor(o => o.PagesPerIpPerMinute).GreaterThan(0).WithName("RateLimiting:PagesPerIpPerMinute");
        RuleFor(o => o.FailedLoginsPerIpPerMinute).GreaterThan(0).WithName("RateLimiting:FailedLoginsPerIpPerMinute");
        RuleFor(o => o.ShareMissesPerIpPerMinute).GreaterThan(0).WithName("RateLimiting:ShareMissesPerIpPerMinute");
        RuleFor(o => o.SharePasswordFailuresPerIpPerMinute).GreaterThan(0).WithName("RateLimiting:SharePasswordFailuresPerIpPerMinute");
    }
}
