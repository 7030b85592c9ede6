
namespace UnhostedStore.Blobs;

/// <summary>
/// Immutable blobs under keys chosen by the caller. A key is written once (to a fresh key for
/// every document version) and later deleted; it is never overwritten in place.
/// </summary>
public interface IBlobStore
{
    /// <summary>Streams <paramref name="content"/> to <paramref name="key"/> and makes it
    /// durable before returning. On any failure nothing is left under the key.
    /// <paramref name="length"/> is the announced length, when the client sent one.</summary>
    Task<long> WriteAsync(string key, Stream content, long? length, CancellationToken cancellationToken);

    /// <summary>Opens the blob, positioned at <paramref name="range"/>'s start when given.
    /// Throws <see cref="BlobNotFoundException"/> if the key does not exist.</summary>
    Task<Stream> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken);

    /// <summary>Deletes the blob; a missing key is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every stored blob, for the orphan sweeper and <c>reconcile</c>.</summary>
    IAsyncEnumerable<BlobEntry> ListAsync(CancellationToken cancellationToken);

    /// <summary>Throws <see cref="BlobStoreUnavailableException"/> unless the store answers.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>Local files a write stages before its blob exists (the filesystem store's temp
    /// files, the S3 store's spool files) last written before <paramref name="olderThanUtc"/>.
    /// A write removes its own on every failure, so these are what a process killed mid-upload
    /// left behind. Named <c>tmp/&lt;file name&gt;</c>, which is never a blob key.</summary>
    IReadOnlyList<BlobEntry> ListStaleTempFiles(DateTime olderThanUtc);

    /// <summary>Deletes one file <see cref="ListStaleTempFiles"/> named; a missing one is not an error.</summary>
    void DeleteTempFile(string name);
}

public sealed record BlobEntry(string Key, DateTime LastModifiedUtc, long Length);

public sealed class BlobNotFoundException(string key) : Exception($"Blob '{key}' does not exist.");

/// <summary>The blob store could not be reached or failed; the request answers 503.</summary>
public sealed class BlobStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public static class BlobKeys
{
    /// <summary>How <see cref="IBlobStore.ListStaleTempFiles"/> names a staged file.</summary>
    public const string TempPrefix = "tmp/";

    /// <summary>A fresh, never-reused key: 128 random bits as hex.</summary>
    public static string New() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public static bool IsValid(string key) =>
        key.Length == 32 && key.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

/// <summary>The staging folder of a blob store (temp or spool files), for crash leftovers.</summary>
internal static class TempFiles
{
    public static IReadOnlyList<BlobEntry> ListStale(string folder, DateTime olderThanUtc)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var stale = new List<BlobEntry>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < olderThanUtc)
            {
                stale.Add(new BlobEntry(BlobKeys.TempPrefix + file.Name, file.LastWriteTimeUtc, file.Length));
            }
        }

        return stale;
    }

    public static void Delete(string folder, string name)
    {
        var file = name.StartsWith(BlobKeys.TempPrefix, StringComparison.Ordinal) ? name[BlobKeys.TempPrefix.Length..] : string.Empty;
        if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
        {
            throw new ArgumentException("Not a temp file name.", nameof(name));
        }

        try
        {
            File.Delete(Path.Combine(folder, file));
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
