using System.IO.Compression;

namespace UnhostedStore.DataFreedom.Export;

/// <summary>
/// The compression level of one document in an export. Most stored bytes are either small
/// documents (JSON, text) or media that is already compressed, and deflating compressed bytes
/// again costs CPU for nothing (the output is a little larger, never smaller), so:
/// images, audio, video and archives are stored as they are (<see cref="CompressionLevel.NoCompression"/>);
/// text-like documents are deflated well (<see cref="CompressionLevel.Optimal"/>) while small,
/// where the CPU cost is negligible and the gain adds up over thousands of documents, and
/// quickly (<see cref="CompressionLevel.Fastest"/>) when large, so a big log or dump does not
/// slow the download to the compressor's speed; anything else gets
/// <see cref="CompressionLevel.Fastest"/>, which gains on what compresses and costs little on
/// what does not.
/// </summary>
internal static class ArchiveCompression
{
    private const long SmallText = 1024 * 1024;

    private static readonly string[] Compressed =
    [
        "application/zip", "application/gzip", "application/x-gzip", "application/x-7z-compressed",
        "application/x-rar-compressed", "application/vnd.rar", "application/x-bzip2", "application/x-xz",
        "application/zstd", "application/epub+zip", "font/woff", "font/woff2",
    ];

    public static CompressionLevel For(string? contentType, long length)
    {
        var type = MediaType(contentType);
        if (IsText(type))
        {
            return length <= SmallText ? CompressionLevel.Optimal : CompressionLevel.Fastest;
        }

        if (type.StartsWith("image/", StringComparison.Ordinal) || type.StartsWith("audio/", StringComparison.Ordinal)
            || type.StartsWith("video/", StringComparison.Ordinal) || Compressed.Contains(type, StringComparer.Ordinal)
            || type.StartsWith("application/vnd.openxmlformats-", StringComparison.Ordinal)
            || type.StartsWith("application/vnd.oasis.opendocument.", StringComparison.Ordinal))
        {
            return CompressionLevel.NoCompression;
        }

        return CompressionLevel.Fastest;
    }

    private static bool IsText(string type) =>
        type.StartsWith("text/", StringComparison.Ordinal)
        || type is "application/json" or "application/xml" or "application/javascript" or "application/ecmascript" or "image/svg+xml" or "image/bmp"
        || type.EndsWith("+json", StringComparison.Ordinal) || type.EndsWith("+xml", StringComparison.Ordinal);

    /// <summary>The media type without parameters, lower-case (RFC 9110 §8.3.1: case-insensitive).</summary>
    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }
}
