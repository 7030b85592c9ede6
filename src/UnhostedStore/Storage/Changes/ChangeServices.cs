using UnhostedStore.Authorization;
using UnhostedStore.Configuration;

namespace UnhostedStore.Storage.Changes;

public static class ChangeServices
{
    /// <summary>The change log's retention job and the live change streams: <c>Storage:ChangeLogRetention:*</c>,
    /// <c>Storage:ChangeStreams:*</c> (spec/changes-extension.md).</summary>
    public static IServiceCollection AddChangeStreams(this IServiceCollection services)
    {
        services.AddOptions<ChangeOptions>().BindConfiguration(StorageOptions.Section).ValidateWithFluent<ChangeOptions, ChangeOptionsValidator>();
        services.AddSingleton<ChangeLogReader>();
        services.AddSingleton<ChangeHub>();
        services.AddSingleton<GrantValidity>();
        services.AddScoped<ChangeLogPurge>();
        services.AddHostedService<ChangeLogPurgeJob>();
        services.AddHostedService<ChangeStreamJobs>();
        services.AddHostedService<ChangeNotifications>();
        return services;
    }
}
