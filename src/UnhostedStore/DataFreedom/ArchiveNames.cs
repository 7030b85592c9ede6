using System.Globalization;
using System.Text;

namespace UnhostedStore.DataFreedom;

/// <summary>
/// How a document or folder name becomes a file or directory name in an archive, and back.
/// Names are written as-is (UTF-8, no percent-encoding), as rs-backup writes them, unless they
/// would collide with the archive's own files, could not be a file name on common systems, or
/// look escaped: those get the <c>~us~</c> marker and <c>%XX</c> escapes.
/// </summary>
public static class ArchiveNames
{
    public const string FolderDescription = "000_folder-description.json";

    public const string Manifest = "unhostedstore-export.json";

    public const string Marker = "~us~";

    public static string Escape(string segment, bool atRoot)
    {
        var needs = segment == FolderDescription
            || (atRoot && segment == Manifest)
            || segment.StartsWith(Marker, StringComparison.Ordinal)
            || segment.Any(c => c is '\\' or '\u007f' || c < ' ');
        if (!needs)
        {
            return segment;
        }

        var builder = new StringBuilder(Marker, segment.Length + 8);
        foreach (var c in segment)
        {
            if (c is '%' or '\\' or '~' or '\u007f' || c < ' ')
            {
                builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>The real name of an archive segment; null when a <c>~us~</c> segment's escapes
    /// are malformed.</summary>
    public static string? Unescape(string segment)
    {
        if (!segment.StartsWith(Marker, StringComparison.Ordinal))
        {
            return segment;
        }

        var rest = segment.AsSpan(Marker.Length);
        var bytes = new List<byte>(rest.Length);
        Span<byte> one = stackalloc byte[4];
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == '%')
            {
                if (i + 2 >= rest.Length
                    || !byte.TryParse(rest.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                {
                    return null;
                }

                bytes.Add(b);
                i += 2;
            }
            else
            {
                var n = Encoding.UTF8.GetBytes(rest.Slice(i, char.IsHighSurrogate(rest[i]) && i + 1 < rest.Length ? 2 : 1), one);
                for (var k = 0; k < n; k++)
                {
                    bytes.Add(one[k]);
                }

                if (char.IsHighSurrogate(rest[i]))
                {
                    i++;
                }
            }
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
