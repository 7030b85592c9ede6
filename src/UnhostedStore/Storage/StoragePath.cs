using System.Text;

namespace UnhostedStore.Storage;

/// <summary>
/// A path inside one user's storage, decoded exactly once from the request target.
/// Folders end in <c>/</c>; the root folder is <c>/</c>. Never holds empty, <c>.</c>, <c>..</c>,
/// <c>/</c>-containing or NUL-containing names.
/// </summary>
public sealed class StoragePath : IEquatable<StoragePath>
{
    /// <summary>Longest decoded path we store, in UTF-8 bytes. Keeps (owner, path) inside a
    /// PostgreSQL btree entry (~2.7 KB) with room to spare; longer paths answer 414.</summary>
    public const int MaxPathBytes = 2048;

    public static readonly StoragePath Root = new("/", 0);

    private readonly int _segmentCount;

    private StoragePath(string value, int segmentCount)
    {
        Value = value;
        _segmentCount = segmentCount;
    }

    /// <summary>The decoded path, starting with <c>/</c>.</summary>
    public string Value { get; }

    public bool IsFolder => Value[^1] == '/';

    public bool IsDocument => !IsFolder;

    public bool IsRoot => Value.Length == 1;

    /// <summary>True for everything under <c>/public/</c> (not for <c>/public/</c> itself).</summary>
    public bool IsUnderPublic => Value.StartsWith("/public/", StringComparison.Ordinal) && Value.Length > "/public/".Length;

    /// <summary>The item name within its parent: <c>b</c> for <c>/a/b</c>, <c>b/</c> for <c>/a/b/</c>.</summary>
    public string Name
    {
        get
        {
            if (IsRoot)
            {
                return string.Empty;
            }

            var end = IsFolder ? Value.Length - 2 : Value.Length - 1;
            var slash = Value.LastIndexOf('/', end);
            return Value[(slash + 1)..];
        }
    }

    /// <summary>The containing folder, or null for the root.</summary>
    public StoragePath? Parent
    {
        get
        {
            if (IsRoot)
            {
                return null;
            }

            var end = IsFolder ? Value.Length - 2 : Value.Length - 1;
            var slash = Value.LastIndexOf('/', end);
            return new StoragePath(Value[..(slash + 1)], _segmentCount - 1);
        }
    }

    /// <summary>
    /// The scope module that governs this path (draft-26 §9): the first segment, or for
    /// <c>/public/&lt;m&gt;/…</c> the second. Null when the path is the root, <c>/public/</c>,
    /// or a document directly in one of those (only <c>*</c> scopes reach those).
    /// </summary>
    public string? Module
    {
        get
        {
            var rest = Value.AsSpan(1);
            if (rest.StartsWith("public/", StringComparison.Ordinal))
            {
                rest = rest["public/".Length..];
            }

            var slash = rest.IndexOf('/');
            return slash <= 0 ? null : rest[..slash].ToString();
        }
    }

    /// <summary>Every ancestor folder, from the root down to the direct parent.</summary>
    public IReadOnlyList<StoragePath> Ancestors()
    {
        var list = new List<StoragePath>(_segmentCount);
        for (var p = Parent; p is not null; p = p.Parent)
        {
            list.Add(p);
        }

        list.Reverse();
        return list;
    }

    /// <summary>The same name seen as the other kind: <c>/a/b</c> ↔ <c>/a/b/</c>.</summary>
    public StoragePath AsOtherKind() =>
        IsRoot ? this : IsFolder ? new StoragePath(Value[..^1], _segmentCount) : new StoragePath(Value + "/", _segmentCount);

    /// <summary>
    /// Parses the percent-encoded path that follows <c>/storage/{user}</c> in the request target
    /// (starting with <c>/</c>, without query). Decodes once, strictly: malformed escapes, invalid
    /// UTF-8, empty segments, <c>.</c>, <c>..</c>, an encoded <c>/</c> and NUL are all rejected
    /// (draft-26 §4).
    /// </summary>
    public static StoragePathParseResult TryParse(ReadOnlySpan<char> encoded, out StoragePath? path)
    {
        path = null;
        if (encoded.IsEmpty || encoded[0] != '/')
        {
            return StoragePathParseResult.Invalid("path must start with '/'");
        }

        var builder = new StringBuilder(encoded.Length);
        builder.Append('/');
        var segments = 0;
        var rest = encoded[1..];
        while (!rest.IsEmpty)
        {
            var slash = rest.IndexOf('/');
            var raw = slash < 0 ? rest : rest[..slash];
            if (raw.IsEmpty)
            {
                return StoragePathParseResult.Invalid("empty path segment");
            }

            var error = TryDecodeSegment(raw, out var name);
            if (error is not null)
            {
                return StoragePathParseResult.Invalid(error);
            }

            if (name is "." or "..")
            {
                return StoragePathParseResult.Invalid("'.' and '..' are not allowed as names");
            }

            builder.Append(name);
            segments++;
            if (slash < 0)
            {
                break;
            }

            builder.Append('/');
            rest = rest[(slash + 1)..];
        }

        var value = builder.ToString();
        if (Encoding.UTF8.GetByteCount(value) > MaxPathBytes)
        {
            return StoragePathParseResult.TooLong;
        }

        path = new StoragePath(value, segments);
        return StoragePathParseResult.Ok;
    }

    /// <summary>Rebuilds a path from its stored (already decoded and validated) form.</summary>
    public static StoragePath FromStored(string value)
    {
        if (string.IsNullOrEmpty(value) || value[0] != '/')
        {
            throw new ArgumentException("A stored path starts with '/'.", nameof(value));
        }

        var segments = value.Length == 1 ? 0 : value.AsSpan(1).TrimEnd('/').Count('/') + 1;
        return new StoragePath(value, segments);
    }

    /// <summary>Decodes one segment. Returns an error text, or null on success.</summary>
    internal static string? TryDecodeSegment(ReadOnlySpan<char> raw, out string name)
    {
        name = string.Empty;
        if (raw.IndexOf('%') < 0)
        {
            foreach (var c in raw)
            {
                if (!IsAllowedRaw(c))
                {
                    return "invalid character in path";
                }
            }

            name = raw.ToString();
            return null;
        }

        Span<byte> small = stackalloc byte[256];
        var bytes = raw.Length <= small.Length ? small : new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !IsHex(raw[i + 1]) || !IsHex(raw[i + 2]))
                {
                    return "invalid percent-encoding in path";
                }

                var b = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                if (b == (byte)'/')
                {
                    return "an encoded '/' (%2F) is not allowed in a name";
                }

                if (b == 0)
                {
                    return "NUL is not allowed in a name";
                }

                bytes[n++] = b;
                i += 2;
            }
            else if (IsAllowedRaw(c))
            {
                bytes[n++] = (byte)c;
            }
            else
            {
                return "invalid character in path";
            }
        }

        try
        {
            name = StrictUtf8.GetString(bytes[..n]);
        }
        catch (DecoderFallbackException)
        {
            return "path is not valid UTF-8";
        }

        return null;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // RFC 3986 pchar without pct-encoded: unreserved / sub-delims / ":" / "@".
    // rs.js sends ! ( ) * ~ and ' unencoded in some versions, so all sub-delims are accepted.
    private static bool IsAllowedRaw(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            or '-' or '.' or '_' or '~'
            or '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '='
            or ':' or '@';

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    public bool Equals(StoragePath? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as StoragePath);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    public override string ToString() => Value;
}

public readonly record struct StoragePathParseResult(bool Success, bool IsTooLong, string? Error)
{
    public static readonly StoragePathParseResult Ok = new(true, false, null);
    public static readonly StoragePathParseResult TooLong = new(false, true, "path is too long");

    public static StoragePathParseResult Invalid(string error) => new(false, false, error);
}
