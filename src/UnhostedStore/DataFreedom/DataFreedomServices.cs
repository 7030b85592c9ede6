using UnhostedStore.DataFreedom.Deletion;

namespace UnhostedStore.DataFreedom;

public static class DataFreedomServices
{
    /// <summary>A person's way out: account deletion with its grace period and the erasure job
    /// (<c>Accounts:DeletionGraceDays</c>, bound with the other account options).</summary>
    public static IServiceCollection AddDataFreedom(this IServiceCollection services)
    {
        services.AddSingleton<DeletionSignal>();
        services.AddScoped<AccountDeletions>();
        services.AddScoped<AccountEraser>();
        services.AddHostedService<AccountDeletionJob>();
        return services;
    }
}
