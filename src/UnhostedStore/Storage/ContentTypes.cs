using Microsoft.Extensions.Primitives;

namespace UnhostedStore.Storage;

/// <summary>
/// Checks a PUT's Content-Type (draft-26 §4: "a valid Content-Type"; stored as an opaque
/// string). We check the RFC 9110 §8.3 shape <c>type/subtype *(; param)</c> by a linear scan
/// and then store the header exactly as received.
/// </summary>
public static class ContentTypes
{
    public const int MaxLength = 1024;

    public static bool TryValidate(StringValues header, out string? contentType, out string? error)
    {
        contentType = null;
        if (header.Count == 0 || string.IsNullOrWhiteSpace(header[0]))
        {
            error = "a Content-Type header is required";
            return false;
        }

        if (header.Count > 1)
        {
            error = "more than one Content-Type header";
            return false;
        }

        var value = header[0]!;
        if (value.Length > MaxLength)
        {
            error = "Content-Type is too long";
            return false;
        }

        if (!IsValid(value))
        {
            error = "Content-Type is not a valid media type";
            return false;
        }

        contentType = value;
        error = null;
        return true;
    }

    internal static bool IsValid(ReadOnlySpan<char> s)
    {
        var i = 0;
        SkipOws(s, ref i);
        if (!Token(s, ref i) || i >= s.Length || s[i] != '/')
        {
            return false;
        }

        i++;
        if (!Token(s, ref i))
        {
            return false;
        }

        while (true)
        {
            SkipOws(s, ref i);
            if (i >= s.Length)
            {
                return true;
            }

            if (s[i] != ';')
            {
                return false;
            }

            i++;
            SkipOws(s, ref i);
            if (i >= s.Length)
            {
                // A trailing ";" is tolerated (RFC 9110 §5.6.6 allows empty parameters).
                return true;
            }

            if (s[i] == ';')
            {
                continue;
            }

            if (!Token(s, ref i) || i >= s.Length || s[i] != '=')
            {
                return false;
            }

            i++;
            if (i < s.Length && s[i] == '"')
            {
                if (!QuotedString(s, ref i))
                {
                    return false;
                }
            }
            else if (!Token(s, ref i))
            {
                return false;
            }
        }
    }

    private static void SkipOws(ReadOnlySpan<char> s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static bool Token(ReadOnlySpan<char> s, ref int i)
    {
        var start = i;
        while (i < s.Length && IsTChar(s[i]))
        {
            i++;
        }

        return i > start;
    }

    private static bool QuotedString(ReadOnlySpan<char> s, ref int i)
    {
        i++; // opening quote
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '"')
            {
                i++;
                return true;
            }

            if (c == '\\')
            {
                if (i + 1 >= s.Length)
                {
                    return false;
                }

                i += 2;
                continue;
            }

            if (c is < ' ' and not '\t' || c == 0x7F || c > 0xFF)
            {
                return false;
            }

            i++;
        }

        return false;
    }

    private static bool IsTChar(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
