using Microsoft.Extensions.Options;
using UnhostedStore.Configuration;
using UnhostedStore.Persistence;
using UnhostedStore.Storage.Changes;
using UnhostedStore.Storage.History;
using UnhostedStore.Storage.Moving;

namespace UnhostedStore.Storage;

public static class StorageServices
{
    /// <summary>The protocol core: <c>Storage:*</c>, the document service with its write queues
    /// and listing cache, and the reconciler and orphan sweeper that keep metadata and blobs in step.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateWithFluent<StorageOptions, StorageOptionsValidator>();
        services.AddSingleton<DocumentReads>();
        services.AddSingleton<FolderReads>();
        services.AddScoped<WriteBatch>();
        services.AddScoped<DocumentWrites>();
        services.AddSingleton<UserWriteQueues>();
        services.AddSingleton(sp => new CommitGroups(CommitGroups.GroupsFor(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider)));
        services.AddSingleton<FolderListingCache>();
        services.AddScoped<BlobReconciler>();
        services.AddSingleton<BlobHolds>();
        services.AddSingleton<BlobRelease>();
        services.AddHostedService<OrphanSweeper>();
        services.AddScoped<DocumentHistory>();
        services.AddScoped<HistoryExpiry>();
        services.AddHostedService<HistoryExpiryJob>();
        services.AddScoped<Moves>();
        services.AddChangeStreams();
        return services;
    }
}
