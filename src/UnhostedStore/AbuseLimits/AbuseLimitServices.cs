using UnhostedStore.Configuration;

namespace UnhostedStore.AbuseLimits;

public static class AbuseLimitServices
{
    /// <summary><c>RateLimiting:*</c> and the limiters of storage, of the pages and of share links.</summary>
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateWithFluent<RateLimitOptions, RateLimitOptionsValidator>();
        services.AddSingleton<StorageRateLimiter>();
        services.AddSingleton<PageRateLimiter>();
        services.AddSingleton<ShareLimits>();
        return services;
    }
}
