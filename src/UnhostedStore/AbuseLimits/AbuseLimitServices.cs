using UnhostedStore.Configuration;

namespace UnhostedStore.AbuseLimits;

public static class AbuseLimitServices
{
    /// <summary><c>RateLimiting:*</c> and the limiters of storage and of the pages.</summary>
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateWithFluent<RateLimitOptions, RateLimitOptionsValidator>();
        services.AddSingleton<StorageRateLimiter>();
        services.AddSingleton<PageRateLimiter>();
        return services;
    }
}
