using Microsoft.Extensions.Primitives;

namespace UnhostedStore.Storage;

/// <summary>
/// The value of an <c>If-Match</c> or <c>If-None-Match</c> header (RFC 9110 §13.1.1–2):
/// <c>*</c>, or a list of entity tags. Parsed by a linear scan; no regex sees request input.
/// </summary>
public sealed class EntityTagCondition
{
    /// <summary>Header lists longer than this are rejected; real clients send one tag.</summary>
    public const int MaxTags = 64;

    private readonly List<(string Opaque, bool Weak)> _tags;

    private EntityTagCondition(bool any, List<(string, bool)> tags)
    {
        IsAny = any;
        _tags = tags;
    }

    public bool IsAny { get; }

    public int Count => _tags.Count;

    /// <summary>The opaque part of the one tag listed, if exactly one (not <c>*</c>) is.</summary>
    public string? SingleOpaque => !IsAny && _tags.Count == 1 ? _tags[0].Opaque : null;

    /// <summary>Strong comparison, as If-Match requires: weak tags never match.</summary>
    public bool MatchesStrong(ETag current)
    {
        if (IsAny)
        {
            return true;
        }

        foreach (var (opaque, weak) in _tags)
        {
            if (!weak && string.Equals(opaque, current.Value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Weak comparison, as If-None-Match requires.</summary>
    public bool MatchesWeak(ETag current)
    {
        if (IsAny)
        {
            return true;
        }

        foreach (var (opaque, _) in _tags)
        {
            if (string.Equals(opaque, current.Value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Parses all values of the header (several header lines are one list). Returns false
    /// for malformed input; <paramref name="condition"/> is null when the header is absent.
    /// </summary>
    public static bool TryParse(StringValues values, out EntityTagCondition? condition)
    {
        condition = null;
        if (StringValues.IsNullOrEmpty(values))
        {
            return true;
        }

        var tags = new List<(string, bool)>(1);
        var any = false;
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            var span = value.AsSpan();
            var i = 0;
            var expectItem = true;
            while (true)
            {
                while (i < span.Length && span[i] is ' ' or '\t')
                {
                    i++;
                }

                if (i >= span.Length)
                {
                    break;
                }

                if (!expectItem)
                {
                    if (span[i] != ',')
                    {
                        return false;
                    }

                    i++;
                    expectItem = true;
                    continue;
                }

                if (span[i] == ',')
                {
                    // RFC 9110 §5.6.1: empty list elements are ignored.
                    i++;
                    continue;
                }

                if (span[i] == '*')
                {
                    any = true;
                    i++;
                    expectItem = false;
                    continue;
                }

                var weak = false;
                if (span[i] == 'W' && i + 1 < span.Length && span[i + 1] == '/')
                {
                    weak = true;
                    i += 2;
                }

                if (i >= span.Length || span[i] != '"')
                {
                    return false;
                }

                var close = span[(i + 1)..].IndexOf('"');
                if (close < 0)
                {
                    return false;
                }

                var opaque = span.Slice(i + 1, close);
                if (!ETag.IsOpaque(opaque))
                {
                    return false;
                }

                tags.Add((opaque.ToString(), weak));
                if (tags.Count > MaxTags)
                {
                    return false;
                }

                i += close + 2;
                expectItem = false;
            }
        }

        // "*" mixed with tags is not valid syntax (RFC 9110: "*" / #entity-tag).
        if (any && tags.Count > 0)
        {
            return false;
        }

        if (!any && tags.Count == 0)
        {
            return false;
        }

        condition = new EntityTagCondition(any, tags);
        return true;
    }
}
