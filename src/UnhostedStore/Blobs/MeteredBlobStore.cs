using System.Diagnostics;
using UnhostedStore.Blobs;
using UnhostedStore.Telemetry;

namespace UnhostedStore.Blobs;

/// <summary>Measures the S3 latency of each blob store call (for reads: until the body starts).</summary>
public sealed class MeteredBlobStore(IBlobStore inner) : IBlobStore
{
    public async Task<long> WriteAsync(string key, Stream content, long? length, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.WriteAsync(key, content, length, cancellationToken);
        }
        finally
        {
            StoreMetrics.RecordS3("write", start);
        }
    }

    public async Task<Stream> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.OpenReadAsync(key, range, cancellationToken);
        }
        finally
        {
            StoreMetrics.RecordS3("read", start);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await inner.DeleteAsync(key, cancellationToken);
        }
        finally
        {
            StoreMetrics.RecordS3("delete", start);
        }
    }

    public IAsyncEnumerable<BlobEntry> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await inner.CheckAsync(cancellationToken);
        }
        finally
        {
            StoreMetrics.RecordS3("check", start);
        }
    }

    public IReadOnlyList<BlobEntry> ListStaleTempFiles(DateTime olderThanUtc) => inner.ListStaleTempFiles(olderThanUtc);

    public void DeleteTempFile(string name) => inner.DeleteTempFile(name);
}
