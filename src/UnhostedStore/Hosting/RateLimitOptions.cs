using FluentValidation;

namespace UnhostedStore.Hosting;

/// <summary>
/// Configuration section <c>RateLimiting</c>: abuse limits on storage routes (draft-26 §5, §14).
/// Each client IP has a token bucket for storage requests, and a much smaller one for
/// <c>/public/</c> documents that turn out not to exist, so capability URLs can't be guessed
/// by brute force. Both answer 429 with <c>Retry-After</c>.
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
}

public sealed class RateLimitOptionsValidator : AbstractValidator<RateLimitOptions>
{
    public RateLimitOptionsValidator()
    {
        RuleFor(o => o.StoragePerIpPerSecond).GreaterThan(0).WithName("RateLimiting:StoragePerIpPerSecond");
        RuleFor(o => o.StoragePerIpBurst).GreaterThan(0).WithName("RateLimiting:StoragePerIpBurst");
        RuleFor(o => o.PublicMissesPerMinute).GreaterThan(0).WithName("RateLimiting:PublicMissesPerMinute");
    }
}
