using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using UnhostedStore.Storage;

namespace UnhostedStore.Previews;

/// <summary>The start of a text or JSON document, as text for a page to show escaped.</summary>
public sealed record TextPreview(string Text, bool Truncated);

public static class TextPreviews
{
    /// <summary>How much of a document a preview shows.</summary>
    public const int MaxBytes = 256 * 1024;

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads up to <see cref="MaxBytes"/> of <paramref name="version"/>'s bytes from
    /// <paramref name="body"/>; JSON that is whole and valid is indented. Decoded as UTF-8, or
    /// Latin-1 when the type says so; invalid bytes show as U+FFFD.</summary>
    public static async Task<TextPreview> ReadAsync(DocumentVersion version, Stream body, CancellationToken ct)
    {
        var length = (int)Math.Min(version.ContentLength, MaxBytes);
        var bytes = new byte[length];
        await body.ReadExactlyAsync(bytes, ct);
        var truncated = version.ContentLength > MaxBytes;
        var text = EncodingOf(version.ContentType).GetString(bytes);
        if (!truncated && PreviewKinds.Of(version.ContentType) == PreviewKind.Json && TryIndent(bytes) is { } indented)
        {
            text = indented;
        }

        return new TextPreview(text, truncated);
    }

    /// <summary>The JSON indented, or null when it is not valid JSON.</summary>
    public static string? TryIndent(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            using var buffer = new MemoryStream(json.Length * 2);
            using (var writer = new Utf8JsonWriter(buffer, Indented))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Encoding EncodingOf(string contentType)
    {
        var at = contentType.IndexOf("charset=", StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            var charset = contentType[(at + "charset=".Length)..].Trim().Trim('"').Split(';')[0].Trim().ToLowerInvariant();
            if (charset is "iso-8859-1" or "latin1" or "us-ascii" or "windows-1252")
            {
                return Encoding.Latin1;
            }
        }

        return Encoding.UTF8;
    }
}
