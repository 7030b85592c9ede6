using System.Threading.RateLimiting;
using FluentValidation;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Configuration section <c>RateLimiting</c>: abuse limits (draft-26 §5, §14). On storage, each
/// client IP and each valid token has a token bucket for requests; each client IP has a much
/// smaller one for <c>/public/</c> documents that turn out not to exist (so capability URLs can't
/// be guessed) and one for invalid tokens (so tokens can't be guessed). The OAuth endpoints and
/// the login, signup and setup pages have a per-IP budget, and failed logins a smaller one on top
/// of Identity's per-account lockout. All answer 429 with <c>Retry-After</c>.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    /// <summary><c>RateLimiting:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>RateLimiting:StoragePerIpPerSecond</c>: sustained storage requests per client IP.</summary>
    public int StoragePerIpPerSecond { get; set; } = 200;

    /// <summary><c>RateLimiting:StoragePerIpBurst</c>: requests a client IP may send at once.</summary>
    public int StoragePerIpBurst { get; set; } = 1000;

    /// <summary><c>RateLimiting:PublicMissesPerMinute</c>: tokenless reads of missing
    /// <c>/public/</c> documents per client IP before it gets 429.</summary>
    public int PublicMissesPerMinute { get; set; } = 60;

    /// <summary><c>RateLimiting:StoragePerTokenPerSecond</c>: sustained storage requests per valid token.</summary>
    public int StoragePerTokenPerSecond { get; set; } = 100;

    /// <summary><c>RateLimiting:StoragePerTokenBurst</c>: requests one token may send at once.</summary>
    public int StoragePerTokenBurst { get; set; } = 500;

    /// <summary><c>RateLimiting:FailedTokensPerIpPerMinute</c>: invalid, expired or revoked tokens a
    /// client IP may present to storage per minute; beyond that, its token requests get 429 before
    /// any token is checked.</summary>
    public int FailedTokensPerIpPerMinute { get; set; } = 30;

    /// <summary><c>RateLimiting:PagesPerIpPerMinute</c>: requests per client IP per minute to the
    /// OAuth endpoints (<c>/oauth/*</c>) and the login, signup and setup pages.</summary>
    public int PagesPerIpPerMinute { get; set; } = 60;

    /// <summary><c>RateLimiting:FailedLoginsPerIpPerMinute</c>: failed password logins per client IP
    /// per minute, whichever accounts they tried.</summary>
    public int FailedLoginsPerIpPerMinute { get; set; } = 10;

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
    }
}
