using System.Security.Cryptography;

namespace UnhostedStore.Storage;

/// <summary>
/// A strong entity tag. <see cref="Value"/> is the opaque part without quotes (as listings need
/// it, draft-26 §4); <see cref="Quoted"/> is the header form.
/// </summary>
public readonly record struct ETag
{
    private ETag(string value) => Value = value;

    public string Value { get; }

    public string Quoted => "\"" + Value + "\"";

    /// <summary>
    /// The version of a folder that holds nothing. draft-26 §6 needs a version for every folder,
    /// and an empty listing is the same representation wherever it appears, so one stable value
    /// serves them all ([AMBIG], see spec/conformance.md).
    /// </summary>
    public static readonly ETag EmptyFolder = new("e0000000000000000000000000000000");

    /// <summary>A fresh, unguessable version: 128 random bits as lower-case hex.</summary>
    public static ETag New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return new ETag(Convert.ToHexStringLower(bytes));
    }

    /// <summary>Wraps a stored value (already known to be valid).</summary>
    public static ETag FromStored(string value) => new(value);

    /// <summary>Parses a quoted strong entity tag, e.g. <c>"abc"</c>. Weak tags are rejected.</summary>
    public static bool TryParse(ReadOnlySpan<char> quoted, out ETag tag)
    {
        tag = default;
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"')
        {
            return false;
        }

        var inner = quoted[1..^1];
        if (!IsOpaque(inner))
        {
            return false;
        }

        tag = new ETag(inner.ToString());
        return true;
    }

    // RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text
    internal static bool IsOpaque(ReadOnlySpan<char> inner)
    {
        foreach (var c in inner)
        {
            if (c == '"' || c < 0x21 || c == 0x7F || c > 0xFF)
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Quoted;
}
