using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Processing;
using UnhostedStore.Storage;

namespace UnhostedStore.Previews;

/// <summary>A thumbnail: WebP bytes of the document version <see cref="ETag"/>.</summary>
public sealed record Thumbnail(byte[] Bytes, ETag ETag)
{
    public const string ContentType = "image/webp";
}

/// <summary>
/// Thumbnails of stored JPEG, PNG, GIF, WebP and BMP images (<see cref="PreviewKinds.CanThumbnail"/>),
/// at most <c>Previews:ThumbnailPixels</c> on their longest side, as WebP, kept in
/// <see cref="ThumbnailCache"/>. An image is untrusted input, so: only those five decoders are
/// configured; a document over <c>Previews:MaxImageBytes</c> is not read; the header is read
/// first (<c>Image.Identify</c>) and an image over
/// <c>Previews:MaxImageSide</c> or <c>Previews:MaxImagePixels</c> is not decoded; only the first
/// frame of a GIF is decoded; at most <c>Previews:ConcurrentDecodes</c> images are read and
/// decoded at once (the slot is held until a decode really ends, even one that timed out); and
/// whatever fails, is refused or takes longer than <c>Previews:DecodeTimeoutSeconds</c> gets
/// null, for which callers show an icon.
/// </summary>
public sealed partial class Thumbnails : IDisposable
{
    private readonly DocumentReads _reads;
    private readonly ThumbnailCache _cache;
    private readonly PreviewOptions _options;
    private readonly ILogger<Thumbnails> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly SixLabors.ImageSharp.Configuration _images;

    public Thumbnails(DocumentReads reads, ThumbnailCache cache, IOptions<PreviewOptions> options, ILogger<Thumbnails> logger)
    {
        _reads = reads;
        _cache = cache;
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.ConcurrentDecodes, _options.ConcurrentDecodes);
        _images = new SixLabors.ImageSharp.Configuration(new JpegConfigurationModule(), new PngConfigurationModule(), new GifConfigurationModule(), new BmpConfigurationModule(), new WebpConfigurationModule())
        {
            // One decode is already bounded in pixels; this bounds any single buffer as well, and
            // keeps the pool small, since thumbnails are made rarely and then cached.
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                MaximumPoolSizeMegabytes = 16,
                AllocationLimitMegabytes = (int)Math.Min(int.MaxValue, (_options.MaxImagePixels * 4 / (1024 * 1024)) + 1),
            }),
            MaxDegreeOfParallelism = 1,
        };
        _images.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    public int Pixels => _options.ThumbnailPixels;

    /// <summary>The thumbnail of <paramref name="owner"/>'s document at <paramref name="path"/>,
    /// as non-owners see it (nothing while the account is leaving), or null: not an image we
    /// thumbnail, too large, broken, or too slow.</summary>
    public async Task<Thumbnail?> GetAsync(string owner, StoragePath path, CancellationToken ct)
    {
        if (await _reads.GetDocumentAsync(owner, path, RequestConditions.None, null, openBody: false, ct, byOwner: false) is not StorageOutcome.DocumentFound head
            || !PreviewKinds.CanThumbnail(head.Document.ContentType) || head.Document.ContentLength > _options.MaxImageBytes)
        {
            return null;
        }

        var key = ThumbnailCache.Key(owner, path.Value, head.Document.ETag.Value, Pixels);
        if (await _cache.TryReadAsync(key, ct) is { } cached)
        {
            return new Thumbnail(cached, head.Document.ETag);
        }

        var timeout = TimeSpan.FromSeconds(_options.DecodeTimeoutSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            if (!await _slots.WaitAsync(timeout, ct))
            {
                return null;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }

        var released = false;
        try
        {
            // The version read now may be newer than the one looked up: its own tag names it.
            if (await _reads.GetDocumentAsync(owner, path, RequestConditions.None, null, openBody: true, deadline.Token, byOwner: false) is not StorageOutcome.DocumentFound found
                || found.Body is not { } body)
            {
                return null;
            }

            byte[] bytes;
            await using (body)
            {
                if (found.Document.ContentLength > _options.MaxImageBytes || !PreviewKinds.CanThumbnail(found.Document.ContentType))
                {
                    return null;
                }

                bytes = new byte[found.Document.ContentLength];
                await body.ReadExactlyAsync(bytes, deadline.Token);
            }

            // Decoding cannot be interrupted: it runs on, holding its slot, while this request
            // answers with the icon once the deadline passed.
            var decode = Task.Run(() => Render(bytes), CancellationToken.None);
            released = true;
            _ = decode.ContinueWith(static (_, slots) => ((SemaphoreSlim)slots!).Release(), _slots, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            var webp = await decode.WaitAsync(deadline.Token);
            if (webp is null)
            {
                return null;
            }

            key = ThumbnailCache.Key(owner, path.Value, found.Document.ETag.Value, Pixels);
            await _cache.StoreAsync(key, webp, CancellationToken.None);
            return new Thumbnail(webp, found.Document.ETag);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogTimedOut(_logger, owner, path.Value);
            return null;
        }
        catch (Exception e) when (e is IOException or Blobs.BlobNotFoundException or EndOfStreamException)
        {
            return null;
        }
        finally
        {
            if (!released)
            {
                _slots.Release();
            }
        }
    }

    /// <summary>Identifies, checks, decodes, orients and shrinks one image; null when it is
    /// refused or broken.</summary>
    private byte[]? Render(byte[] bytes)
    {
        try
        {
            using var input = new MemoryStream(bytes, writable: false);
            var info = Image.Identify(_images, input);
            if (info is null || info.Width <= 0 || info.Height <= 0 || info.Width > _options.MaxImageSide || info.Height > _options.MaxImageSide
                || (long)info.Width * info.Height > _options.MaxImagePixels)
            {
                return null;
            }

            input.Position = 0;
            using var image = Image.Load(_images, input);
            image.Mutate(x =>
            {
                x.AutoOrient();
                var size = x.GetCurrentSize();
                if (Math.Max(size.Width, size.Height) > Pixels)
                {
                    // Only ever smaller: a small image stays as it is.
                    x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(Pixels, Pixels) });
                }
            });
            image.Metadata.ExifProfile = null;
            image.Metadata.XmpProfile = null;
            image.Metadata.IccProfile = null;
            using var output = new MemoryStream();
            image.Save(output, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 75 });
            return output.ToArray();
        }
        catch (Exception e) when (e is ImageFormatException or UnknownImageFormatException or InvalidImageContentException or NotSupportedException
            or InvalidMemoryOperationException or IndexOutOfRangeException or ArgumentException or InvalidOperationException or OutOfMemoryException)
        {
            LogUndecodable(_logger, e);
            return null;
        }
    }

    public void Dispose() => _slots.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A thumbnail of {Owner}:{Path} took too long; the icon was shown")]
    private static partial void LogTimedOut(ILogger logger, string owner, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "An image could not be made a thumbnail; the icon was shown")]
    private static partial void LogUndecodable(ILogger logger, Exception exception);
}
