using Microsoft.Extensions.Options;

using UnhostedStore.Configuration;

namespace UnhostedStore.Blobs;

public static class BlobServices
{
    /// <summary>Registers the configured blob store: the filesystem under DataDirectory/blobs,
    /// or S3 (<c>Blobs:Provider=S3</c>).</summary>
    public static IServiceCollection AddBlobStore(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        services.AddOptions<BlobOptions>().BindConfiguration(BlobOptions.Section).ValidateWithFluent<BlobOptions, BlobOptionsValidator>();
        var provider = configuration.GetValue(BlobOptions.Section + ":Provider", BlobProvider.FileSystem);
        var root = Path.GetFullPath(dataDirectory);
        if (provider == BlobProvider.S3)
        {
            services.AddSingleton(sp => new S3BlobStore(
                sp.GetRequiredService<IOptions<BlobOptions>>().Value.S3,
                Path.Combine(root, "tmp", "spool"),
                sp.GetRequiredService<ILogger<S3BlobStore>>()));
            services.AddSingleton<IBlobStore>(sp => new MeteredBlobStore(sp.GetRequiredService<S3BlobStore>()));
            services.AddHostedService<S3BucketHostedService>();
        }
        else
        {
            services.AddSingleton(_ => new FileSystemBlobStore(Path.Combine(root, "blobs")));
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<FileSystemBlobStore>());
        }

        return services;
    }
}

/// <summary>Makes sure the bucket exists before the server takes requests (retrying while the
/// S3 server is still starting, as in a compose stack), creating it if allowed.</summary>
public sealed partial class S3BucketHostedService(S3BlobStore store, ILogger<S3BucketHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.EnsureBucketAsync(cancellationToken);
                return;
            }
            catch (BlobStoreUnavailableException e) when (attempt < 15)
            {
                LogWaiting(logger, attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (BlobStoreUnavailableException e)
            {
                // Keep serving: storage requests answer 503 until S3 is back.
                LogGaveUp(logger, e);
                return;
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "S3 not ready (attempt {Attempt}): {Reason}")]
    private static partial void LogWaiting(ILogger logger, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "S3 bucket could not be checked; storage will answer 503 until it can")]
    private static partial void LogGaveUp(ILogger logger, Exception exception);
}
