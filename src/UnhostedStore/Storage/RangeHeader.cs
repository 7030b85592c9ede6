using UnhostedStore.Blobs;

namespace UnhostedStore.Storage;

public enum RangeParseStatus
{
    /// <summary>No usable range: serve the whole representation (absent, multi-range, or
    /// another unit).</summary>
    Ignore,

    /// <summary>One satisfiable range.</summary>
    Satisfiable,

    /// <summary>Syntactically valid but outside the representation: 416.</summary>
    Unsatisfiable,

    /// <summary>Malformed <c>bytes=</c> value: the RFC says ignore it; we do the same.</summary>
    Malformed,
}

/// <summary>
/// The <c>Range</c> request header (RFC 9110 §14.1.2). Only one range is served; a multi-range
/// request is answered with the whole document, which RFC 9110 §14.2 allows ("a server MAY
/// ignore the Range header").
/// </summary>
public static class RangeHeader
{
    /// <summary>The <c>Content-Range</c> value of a 206 answer (RFC 9110 §14.4).</summary>
    public static string ContentRange(ByteRange range, long total) => $"bytes {range.Start}-{range.End}/{total}";

    /// <summary>Parses <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c> against
    /// <paramref name="length"/>, by a linear scan.</summary>
    public static RangeParseStatus TryParse(string? header, long length, out ByteRange range)
    {
        range = default;
        if (string.IsNullOrEmpty(header))
        {
            return RangeParseStatus.Ignore;
        }

        var span = header.AsSpan().Trim();
        if (!span.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return RangeParseStatus.Ignore;
        }

        span = span["bytes=".Length..].Trim();
        if (span.IndexOf(',') >= 0)
        {
            return RangeParseStatus.Ignore;
        }

        var dash = span.IndexOf('-');
        if (dash < 0)
        {
            return RangeParseStatus.Malformed;
        }

        var first = span[..dash].Trim();
        var last = span[(dash + 1)..].Trim();
        if (first.IsEmpty)
        {
            // Suffix range: the last n bytes.
            if (!TryParseDigits(last, out var suffix))
            {
                return RangeParseStatus.Malformed;
            }

            if (suffix == 0 || length == 0)
            {
                return RangeParseStatus.Unsatisfiable;
            }

            var n = Math.Min(suffix, length);
            range = new ByteRange(length - n, n);
            return RangeParseStatus.Satisfiable;
        }

        if (!TryParseDigits(first, out var start))
        {
            return RangeParseStatus.Malformed;
        }

        long end;
        if (last.IsEmpty)
        {
            end = length - 1;
        }
        else if (!TryParseDigits(last, out end))
        {
            return RangeParseStatus.Malformed;
        }
        else if (end < start)
        {
            return RangeParseStatus.Malformed;
        }

        if (start >= length)
        {
            return RangeParseStatus.Unsatisfiable;
        }

        end = Math.Min(end, length - 1);
        range = new ByteRange(start, end - start + 1);
        return RangeParseStatus.Satisfiable;
    }

    private static bool TryParseDigits(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 18)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
