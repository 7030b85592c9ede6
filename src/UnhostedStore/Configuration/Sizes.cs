using System.Globalization;

namespace UnhostedStore.Configuration;

/// <summary>Sizes as operators write them: <c>1048576</c>, <c>500K</c>, <c>500M</c>, <c>10G</c>,
/// <c>1T</c> (binary multiples; an optional trailing <c>B</c> or <c>iB</c>).</summary>
public static class Sizes
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().ToUpperInvariant();
        if (s.EndsWith("IB", StringComparison.Ordinal))
        {
            s = s[..^2];
        }
        else if (s.EndsWith('B') && s.Length > 1 && !char.IsDigit(s[^2]))
        {
            s = s[..^1];
        }
        else if (s.EndsWith('B'))
        {
            s = s[..^1];
        }

        long multiplier = 1;
        if (s.Length > 0 && s[^1] is 'K' or 'M' or 'G' or 'T')
        {
            multiplier = s[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            s = s[..^1];
        }

        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue / multiplier)
        {
            return false;
        }

        bytes = number * multiplier;
        return true;
    }
}
