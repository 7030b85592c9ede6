using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using UnhostedStore.Authorization;

namespace UnhostedStore.AbuseLimits;

/// <summary>
/// Per-IP limits on the OAuth endpoints and the login, signup and setup pages
/// (<c>RateLimiting:PagesPerIpPerMinute</c>), and on failed logins
/// (<c>RateLimiting:FailedLoginsPerIpPerMinute</c>, on top of Identity's per-account lockout).
/// </summary>
public sealed class PageRateLimiter : IDisposable
{
    private readonly bool _enabled;
    private readonly PartitionedRateLimiter<System.Net.IPAddress> _pages;

    public PageRateLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _enabled = o.Enabled;
        _pages = PartitionedRateLimiter.Create<System.Net.IPAddress, System.Net.IPAddress>(ip =>
            RateLimitPartition.GetTokenBucketLimiter(ip, _ => RateLimitOptions.PerMinute(o.PagesPerIpPerMinute)));
        FailedLogins = new FailureThrottle(o.Enabled, o.FailedLoginsPerIpPerMinute);
    }

    public FailureThrottle FailedLogins { get; }

    /// <summary>Whether a path is one of the limited pages (OAuth, login, signup, setup).</summary>
    public static bool IsLimited(PathString path) =>
        path.StartsWithSegments("/oauth", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/login", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/signup", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/setup", StringComparison.OrdinalIgnoreCase);

    /// <summary>Takes one permit for this client; returns the wait to announce when there is none.</summary>
    public TimeSpan? TryAcquire(HttpContext context)
    {
        if (!_enabled)
        {
            return null;
        }

        using var lease = _pages.AttemptAcquire(FailureThrottle.ClientIp(context), 1);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose()
    {
        _pages.Dispose();
        FailedLogins.Dispose();
    }
}

/// <summary>
/// Applies <see cref="PageRateLimiter"/> before authentication runs: OpenIddict answers
/// <c>/oauth/token</c> and <c>/oauth/authorize</c> inside the authentication middleware, so an
/// endpoint policy would come too late for them.
/// </summary>
public sealed class PageRateLimitMiddleware(RequestDelegate next, PageRateLimiter limiter)
{
    public Task InvokeAsync(HttpContext context)
    {
        // The CLI's and tests' in-process token requests are not clients.
        if (!PageRateLimiter.IsLimited(context.Request.Path) || context.Features.Get<OperatorGrantFeature>() is not null
            || limiter.TryAcquire(context) is not { } wait)
        {
            return next(context);
        }

        var response = context.Response;
        if (context.Request.Path.StartsWithSegments(OAuthServices.TokenPath, StringComparison.OrdinalIgnoreCase))
        {
            // Any origin may call the token endpoint; a browser app must be able to read the 429.
            response.Headers.AccessControlAllowOrigin = "*";
        }

        return WriteTooManyRequestsAsync(context, wait);
    }

    public static Task WriteTooManyRequestsAsync(HttpContext context, TimeSpan wait)
    {
        var response = context.Response;
        var seconds = FailureThrottle.RetryAfterSeconds(wait);
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds;
        response.Headers.CacheControl = "no-store";
        response.ContentType = "text/plain; charset=utf-8";
        var body = Encoding.UTF8.GetBytes($"Too many requests. Try again in {seconds} seconds.\n");
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
