using System.IO.Compression;
using UnhostedStore.DataFreedom.Export;

namespace UnhostedStore.Tests;

/// <summary>What an export deflates: text and JSON yes, already-compressed media no.</summary>
public sealed class ExportCompressionTests
{
    [Theory]
    [InlineData("image/jpeg", 5_000_000, CompressionLevel.NoCompression)]
    [InlineData("Video/MP4", 5_000_000, CompressionLevel.NoCompression)]
    [InlineData("audio/ogg; codecs=opus", 100, CompressionLevel.NoCompression)]
    [InlineData("application/zip", 100, CompressionLevel.NoCompression)]
    [InlineData("application/vnd.openxmlformats-officedocument.wordprocessingml.document", 100, CompressionLevel.NoCompression)]
    [InlineData("application/json", 300, CompressionLevel.Optimal)]
    [InlineData("text/plain; charset=utf-8", 1024 * 1024, CompressionLevel.Optimal)]
    [InlineData("application/ld+json", 300, CompressionLevel.Optimal)]
    [InlineData("image/svg+xml", 300, CompressionLevel.Optimal)]
    [InlineData("text/csv", 50_000_000, CompressionLevel.Fastest)]
    [InlineData("application/octet-stream", 300, CompressionLevel.Fastest)]
    [InlineData(null, 300, CompressionLevel.Fastest)]
    public void The_level_follows_the_content_type_and_size(string? contentType, long length, CompressionLevel expected) =>
        Assert.Equal(expected, ArchiveCompression.For(contentType, length));
}
