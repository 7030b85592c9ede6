using UnhostedStore.Storage;

namespace UnhostedStore.Blobs;

/// <summary>
/// Immutable blobs under keys chosen by the caller. A key is written once (to a fresh key for
/// every document version) and later deleted; it is never overwritten in place.
/// </summary>
public interface IBlobStore
{
    /// <summary>Streams <paramref name="content"/> to <paramref name="key"/> and makes it
    /// durable before returning. On any failure nothing is left under the key.</summary>
    Task<long> WriteAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>Opens the blob, positioned at <paramref name="range"/>'s start when given.
    /// Throws <see cref="BlobNotFoundException"/> if the key does not exist.</summary>
    Task<Stream> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken);

    /// <summary>Deletes the blob; a missing key is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

public sealed class BlobNotFoundException(string key) : Exception($"Blob '{key}' does not exist.");

public static class BlobKeys
{
    /// <summary>A fresh, never-reused key: 128 random bits as hex.</summary>
    public static string New() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public static bool IsValid(string key) =>
        key.Length == 32 && key.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
