using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Localization;
using UnhostedStore.Pages.Text;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Account.History;

/// <summary>
/// The words and checks the history pages share: paths typed or linked by the person, times in
/// their terms, who made a change, and which versions can be compared as text.
/// </summary>
public static class HistoryText
{
    /// <summary>Largest version (each side) compared line by line on the page.</summary>
    public const long CompareMaxBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads a path as the person typed it or a link carried it (decoded text, such as
    /// <c>/notes/my list.txt</c>): each name is percent-encoded and the whole parsed by
    /// <see cref="StoragePath.TryParse"/>, so the rules are exactly the storage API's. A folder
    /// may be typed without its leading or trailing <c>/</c>.
    /// </summary>
    public static bool TryParsePath(string? input, bool folder, out StoragePath? path, out string? error)
    {
        path = null;
        var text = input?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            error = folder ? T["Path_TypeFolder"] : T["Path_TypeDocument"];
            return false;
        }

        if (text[0] != '/')
        {
            text = "/" + text;
        }

        if (folder && text[^1] != '/')
        {
            text += "/";
        }
        else if (!folder && text[^1] == '/')
        {
            error = T["Path_IsFolder", text];
            return false;
        }

        var encoded = string.Join('/', text.Split('/').Select(Uri.EscapeDataString));
        var result = StoragePath.TryParse(encoded, out path);
        if (result.Success)
        {
            error = null;
            return true;
        }

        error = result.IsTooLong
            ? T["Path_TooLong"]
            : T["Path_Invalid", text, Plain(result.Error)];
        path = null;
        return false;
    }

    private static string Plain(string? parserError) => parserError switch
    {
        "empty path segment" => T["Path_EmptyName"],
        "'.' and '..' are not allowed as names" => T["Path_DotNames"],
        "NUL is not allowed in a name" => T["Path_Nul"],
        null => T["Path_NotValid"],
        _ => parserError,
    };

    /// <summary>The words of the history pages, in the request's language.</summary>
    private static IStringLocalizer T => Words.Of<HistoryPagesText>();

    /// <summary>How long ago, in words: "just now", "5 minutes ago", "yesterday", "3 days ago".</summary>
    public static string Ago(DateTime utc, DateTime nowUtc)
    {
        var span = nowUtc - utc;
        if (span < TimeSpan.FromMinutes(1))
        {
            // Also a moment in the future: another instance's clock a little ahead.
            return T["Ago_JustNow"];
        }

        if (span < TimeSpan.FromHours(1))
        {
            return Unit((int)span.TotalMinutes, "Minute");
        }

        if (span < TimeSpan.FromDays(1))
        {
            return Unit((int)span.TotalHours, "Hour");
        }

        var days = (int)span.TotalDays;
        if (days == 1)
        {
            return T["Ago_Yesterday"];
        }

        return days < 60 ? Unit(days, "Day") : Unit(days / 30, "Month");
    }

    private static string Unit(int n, string unit) => n == 1 ? T["Ago_" + unit + "_One"] : T["Ago_" + unit + "_Other", Words.Number(n)];

    /// <summary>The exact time, unambiguous (the page's script shows it in the browser's zone too).</summary>
    public static string Exact(DateTime utc) =>
        utc.ToString(T["ExactFormat"], CultureInfo.CurrentCulture);

    /// <summary>For <c>&lt;time datetime&gt;</c>: ISO 8601 in UTC.</summary>
    public static string Iso(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>Who made a change: an app's origin as recorded, a label such as "account page",
    /// or "unknown" for changes made before apps were recorded.</summary>
    public static string Who(string? by) => string.IsNullOrEmpty(by) ? T["Who_Unknown"] : by;

    /// <summary>Whether <see cref="Who"/> names an app by its origin (shown as an address).</summary>
    public static bool IsOrigin(string? by) => by is not null && by.Contains("://", StringComparison.Ordinal);

    /// <summary>The media type without parameters, lower-case (RFC 9110 §8.3.1: case-insensitive).</summary>
    public static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    /// <summary>The <c>charset</c> parameter, lower-case, or null.</summary>
    public static string? Charset(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }

        foreach (var part in contentType.Split(';').Skip(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                return part[(eq + 1)..].Trim().Trim('"').ToLowerInvariant();
            }
        }

        return null;
    }

    public static bool IsJson(string? contentType)
    {
        var type = MediaType(contentType);
        return type == "application/json" || type.EndsWith("+json", StringComparison.Ordinal);
    }

    /// <summary>Text or JSON by its type (remoteStorage.js labels binary data
    /// <c>; charset=binary</c>: those are compared only if their bytes turn out to be text).</summary>
    public static bool IsTextType(string? contentType) =>
        MediaType(contentType).StartsWith("text/", StringComparison.Ordinal) || IsJson(contentType);

    /// <summary>The bytes as text, when they are: UTF-8 unless the type names another charset
    /// .NET knows; "binary" must be valid UTF-8 without control characters other than
    /// tab and line breaks. Null when they are not text.</summary>
    public static string? Decode(byte[] bytes, string? contentType)
    {
        if (!IsTextType(contentType))
        {
            return null;
        }

        var charset = Charset(contentType);
        string text;
        try
        {
            var encoding = charset is null or "binary" or "utf-8" or "utf8" ? StrictUtf8 : Encoding.GetEncoding(charset);
            text = encoding.GetString(bytes);
        }
        catch (Exception e) when (e is ArgumentException or DecoderFallbackException)
        {
            return null;
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        if (charset == "binary" && text.Any(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r')))
        {
            return null;
        }

        return text;
    }

    /// <summary>JSON indented two spaces, one value per line, so a line diff shows which member
    /// changed; the text unchanged when it is not JSON.</summary>
    public static string PrettyJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
