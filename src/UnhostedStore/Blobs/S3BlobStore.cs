using System.Net;
using System.Runtime.CompilerServices;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace UnhostedStore.Blobs;

/// <summary>
/// Blobs as objects <c>blobs/&lt;key&gt;</c> in one bucket of an S3-compatible store, through the
/// Minio SDK (7.0.0). Uploads stream; an upload of unknown length is first spooled to a local
/// temp file, because the SDK buffers whole parts of unknown-length uploads in memory (see
/// shared/design/s3.md) and our memory must stay bounded. Downloads, ranged or not, use a
/// presigned GET sent with HttpClient: the SDK's ranged GET is broken in 7.0.0.
/// </summary>
public sealed partial class S3BlobStore : IBlobStore, IDisposable
{
    private const string Prefix = "blobs/";
    private const int PresignSeconds = 300;
    private const int PresignPutSeconds = 3600;

    /// <summary>S3's largest single PUT (5 GiB); larger objects need a multipart upload.</summary>
    private const long SinglePutLimit = 5L * 1024 * 1024 * 1024;

    private readonly IMinioClient _client;
    private readonly HttpClient _http;
    private readonly S3Options _options;
    private readonly string _spool;
    private readonly ILogger<S3BlobStore> _logger;

    public S3BlobStore(S3Options options, string spoolDirectory, ILogger<S3BlobStore> logger)
    {
        _options = options;
        _logger = logger;
        _spool = spoolDirectory;
        Directory.CreateDirectory(_spool);
        _client = new MinioClient()
            .WithEndpoint(options.Endpoint)
            .WithCredentials(options.AccessKey, options.SecretKey)
            .WithRegion(options.Region)
            .WithSSL(options.UseTls)
            .WithTimeout(options.TimeoutSeconds * 1000)
            .Build();
        _http = new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, options.TimeoutSeconds)),
        })
        {
            // Bodies stream for as long as the client reads; only the wait for headers is bounded.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private static string ObjectName(string key) => BlobKeys.IsValid(key) ? Prefix + key : throw new ArgumentException("Invalid blob key.", nameof(key));

    public async Task EnsureBucketAsync(CancellationToken ct)
    {
        try
        {
            if (await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_options.Bucket), ct))
            {
                return;
            }

            if (!_options.CreateBucket)
            {
                throw new BlobStoreUnavailableException($"Bucket '{_options.Bucket}' does not exist and Blobs:S3:CreateBucket is false.");
            }

            try
            {
                await _client.MakeBucketAsync(new MakeBucketArgs().WithBucket(_options.Bucket).WithLocation(_options.Region), ct);
                LogBucketCreated(_logger, _options.Bucket);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Another instance created it first, or the server reports "already owned by
                // you" with a type of its own: only a bucket that still doesn't exist is a failure.
                if (!await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_options.Bucket), ct))
                {
                    throw;
                }
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or BlobStoreUnavailableException))
        {
            throw new BlobStoreUnavailableException($"S3 endpoint {_options.Endpoint} is not usable: {e.Message}", e);
        }
    }

    public async Task<long> WriteAsync(string key, Stream content, long? length, CancellationToken cancellationToken)
    {
        var name = ObjectName(key);
        string? spoolFile = null;
        var source = new ReadTrackingStream(content);
        try
        {
            Stream upload = source;
            long size;
            if (length is { } known)
            {
                size = known;
            }
            else
            {
                // Unknown length (chunked): spool to disk so memory stays bounded.
                spoolFile = Path.Combine(_spool, key + ".spool");
                await using (var file = new FileStream(spoolFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                {
                    await source.CopyToAsync(file, 81920, cancellationToken);
                }

                size = new FileInfo(spoolFile).Length;
                upload = new FileStream(spoolFile, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan | FileOptions.DeleteOnClose);
            }

            await using (upload)
            {
                if (size <= SinglePutLimit)
                {
                    await PutStreamingAsync(name, upload, size, cancellationToken);
                }
                else
                {
                    // Over S3's single-PUT limit only multipart works; the SDK does it, holding
                    // one part (5 MiB or more) in memory at a time.
                    await _client.PutObjectAsync(
                        new PutObjectArgs()
                            .WithBucket(_options.Bucket)
                            .WithObject(name)
                            .WithStreamData(upload)
                            .WithObjectSize(size)
                            .WithContentType("application/octet-stream"),
                        cancellationToken);
                }
            }

            if (length is { } expected && source.BytesRead != expected)
            {
                throw new BodyEndedEarlyException($"The request body ended after {source.BytesRead} of {expected} bytes.");
            }

            return size;
        }
        catch (Exception e)
        {
            await TryRemoveAsync(name);
            if (source.ReadFailure is { } clientFailure)
            {
                // The client's body failed (cut off, too large): that is the real cause.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(clientFailure).Throw();
            }

            // Only the client's own failures pass as they are (the caller treats them as an
            // aborted upload). An S3 request that timed out surfaces as a cancellation the caller
            // never asked for, and a broken S3 connection as an IOException: both mean S3 is
            // unreachable (503 + Retry-After), not that the client went away.
            if (e is BodyEndedEarlyException or PayloadTooLargeException || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                throw;
            }

            throw new BlobStoreUnavailableException($"S3 upload failed: {e.Message}", e);
        }
        finally
        {
            if (spoolFile is not null && File.Exists(spoolFile))
            {
                File.Delete(spoolFile);
            }
        }
    }

    /// <summary>
    /// One presigned PUT, the body streamed straight through: memory stays at a copy buffer
    /// (the SDK's multipart upload allocates a fresh 5 MiB array per part, which a 1 GiB upload
    /// turned into ~170 MiB of RSS). A stall watchdog turns an S3 server that stops reading into
    /// a timeout; it is paused while we wait for the client's own bytes.
    /// </summary>
    private async Task PutStreamingAsync(string name, Stream body, long size, CancellationToken ct)
    {
        string url;
        try
        {
            url = await _client.PresignedPutObjectAsync(new PresignedPutObjectArgs().WithBucket(_options.Bucket).WithObject(name).WithExpiry(PresignPutSeconds));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new BlobStoreUnavailableException($"S3 presign failed: {e.Message}", e);
        }

        var timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var content = new StreamContent(new StallWatchStream(body, stall, timeout), 81920);
        content.Headers.ContentLength = size;
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        stall.CancelAfter(timeout);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new BlobStoreUnavailableException($"S3 PUT answered {(int)response.StatusCode}.");
        }
    }

    public async Task<Stream> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        string url;
        try
        {
            url = await _client.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_options.Bucket).WithObject(ObjectName(key)).WithExpiry(PresignSeconds));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new BlobStoreUnavailableException($"S3 presign failed: {e.Message}", e);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (range is { } r)
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(r.Start, r.End);
        }

        HttpResponseMessage response;
        using (var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            headers.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new BlobStoreUnavailableException($"S3 GET failed: {e.Message}", e);
            }
        }

        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            throw new BlobNotFoundException(key);
        }

        var expected = range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent;
        if (response.StatusCode != expected)
        {
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new BlobStoreUnavailableException($"S3 GET answered {status}.");
        }

        return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_options.Bucket).WithObject(ObjectName(key)), cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new BlobStoreUnavailableException($"S3 delete failed: {e.Message}", e);
        }
    }

    public async IAsyncEnumerable<BlobEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = _client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_options.Bucket).WithPrefix(Prefix).WithRecursive(true), cancellationToken);
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            var key = item.Key.StartsWith(Prefix, StringComparison.Ordinal) ? item.Key[Prefix.Length..] : item.Key;
            if (BlobKeys.IsValid(key))
            {
                var modified = item.LastModifiedDateTime is { } m ? DateTime.SpecifyKind(m.ToUniversalTime(), DateTimeKind.Utc) : DateTime.UtcNow;
                yield return new BlobEntry(key, modified, (long)item.Size);
            }
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        bool exists;
        try
        {
            exists = await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_options.Bucket), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new BlobStoreUnavailableException($"S3 endpoint {_options.Endpoint} is unreachable: {e.Message}", e);
        }

        if (!exists)
        {
            throw new BlobStoreUnavailableException($"Bucket '{_options.Bucket}' does not exist.");
        }
    }

    public IReadOnlyList<BlobEntry> ListStaleTempFiles(DateTime olderThanUtc) => TempFiles.ListStale(_spool, olderThanUtc);

    public void DeleteTempFile(string name) => TempFiles.Delete(_spool, name);

    private async Task TryRemoveAsync(string name)
    {
        try
        {
            await _client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_options.Bucket).WithObject(name), CancellationToken.None);
        }
        catch (Exception e)
        {
            LogCleanupFailed(_logger, name, e);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        (_client as IDisposable)?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created S3 bucket {Bucket}")]
    private static partial void LogBucketCreated(ILogger logger, string bucket);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not remove partial object {Name}; the orphan sweeper will")]
    private static partial void LogCleanupFailed(ILogger logger, string name, Exception exception);
}
