namespace UnhostedStore.Previews;

/// <summary>How a page shows a document.</summary>
public enum PreviewKind
{
    /// <summary>A raster image the browser draws with <c>&lt;img&gt;</c>.</summary>
    Image,

    /// <summary>Played in the page's own <c>&lt;audio&gt;</c> player.</summary>
    Audio,

    /// <summary>Played in the page's own <c>&lt;video&gt;</c> player.</summary>
    Video,

    /// <summary>Shown as escaped text.</summary>
    Text,

    /// <summary>Shown as escaped, indented JSON.</summary>
    Json,

    /// <summary>Anything else: a download button.</summary>
    Download,
}

/// <summary>
/// The preview of a document, from its stored Content-Type. Types are compared by their essence
/// (RFC 9110 §8.3.1: type and subtype, case-insensitive, parameters dropped), so that
/// <c>image/png; charset=binary</c>, which older remotestorage.js versions stored for binary
/// data, still previews as an image, and a few common non-standard names count as their
/// standard one. This is only for choosing a preview; the stored type is never changed.
/// </summary>
public static class PreviewKinds
{
    /// <summary>Raster formats the thumbnailer decodes.</summary>
    private static readonly string[] Thumbnailable = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"];

    /// <summary>Raster formats browsers draw (SVG is not one: it is a document with script).</summary>
    private static readonly string[] Images = [.. Thumbnailable, "image/avif", "image/x-icon", "image/vnd.microsoft.icon"];

    /// <summary>The media type without parameters, lower-case, with common aliases mapped to the
    /// registered name; empty when there is none.</summary>
    public static string Essence(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var essence = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
        var slash = essence.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == essence.Length - 1 || essence.IndexOf('/', slash + 1) >= 0 || essence.Any(c => c is ' ' or '\t' or '"' or ','))
        {
            return string.Empty;
        }

        return essence switch
        {
            "image/jpg" or "image/pjpeg" => "image/jpeg",
            "image/x-png" => "image/png",
            "image/x-ms-bmp" or "image/x-bmp" => "image/bmp",
            "audio/mp3" or "audio/x-mp3" or "audio/mpeg3" or "audio/x-mpeg" => "audio/mpeg",
            "audio/x-wav" or "audio/wave" or "audio/vnd.wave" => "audio/wav",
            "audio/x-flac" => "audio/flac",
            "audio/x-m4a" => "audio/mp4",
            "text/json" => "application/json",
            _ => essence,
        };
    }

    public static PreviewKind Of(string? contentType)
    {
        var type = Essence(contentType);
        if (Images.Contains(type, StringComparer.Ordinal))
        {
            return PreviewKind.Image;
        }

        if (type.StartsWith("audio/", StringComparison.Ordinal))
        {
            return PreviewKind.Audio;
        }

        if (type.StartsWith("video/", StringComparison.Ordinal))
        {
            return PreviewKind.Video;
        }

        if (type is "application/json" || type.EndsWith("+json", StringComparison.Ordinal))
        {
            return PreviewKind.Json;
        }

        if (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/xml" or "application/javascript" or "application/x-javascript"
            || (type.EndsWith("+xml", StringComparison.Ordinal) && type != "image/svg+xml"))
        {
            return PreviewKind.Text;
        }

        return PreviewKind.Download;
    }

    /// <summary>Whether the server makes thumbnails of this type (JPEG, PNG, GIF, WebP, BMP).</summary>
    public static bool CanThumbnail(string? contentType) => Thumbnailable.Contains(Essence(contentType), StringComparer.Ordinal);

    /// <summary>
    /// Whether bytes of this type may be shown by the browser in our origin (<c>inline</c>)
    /// rather than only downloaded (<c>attachment</c>): raster images, audio, video, plain text
    /// and JSON, which browsers never run as a document. Everything else (HTML, SVG, XML,
    /// script, PDF, whose viewer is a document of its own, and types we don't know) is a download.
    /// </summary>
    public static bool IsInert(string? contentType)
    {
        var type = Essence(contentType);
        return Images.Contains(type, StringComparer.Ordinal)
            || type.StartsWith("audio/", StringComparison.Ordinal)
            || type.StartsWith("video/", StringComparison.Ordinal)
            || type is "text/plain" or "application/json";
    }
}
