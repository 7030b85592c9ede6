namespace UnhostedStore.Authorization;

/// <summary>
/// The union of the scopes granted to one token (draft-26 §9: access is the union).
/// </summary>
public sealed class ScopeSet
{
    public static readonly ScopeSet Empty = new([]);

    private readonly Scope[] _scopes;

    private ScopeSet(Scope[] scopes) => _scopes = scopes;

    public IReadOnlyList<Scope> Scopes => _scopes;

    public bool IsEmpty => _scopes.Length == 0;

    /// <summary>Parses a space-separated scope parameter (RFC 6749 §3.3). Duplicates are merged,
    /// and a module's <c>rw</c> absorbs its <c>r</c>.</summary>
    public static bool TryParse(string? text, out ScopeSet set)
    {
        set = Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parsed = new List<Scope>();
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Scope.TryParse(part, out var scope))
            {
                return false;
            }

            parsed.Add(scope);
        }

        set = FromScopes(parsed);
        return true;
    }

    public static ScopeSet FromScopes(IEnumerable<Scope> scopes)
    {
        var byModule = new Dictionary<string, AccessLevel>(StringComparer.Ordinal);
        foreach (var s in scopes)
        {
            if (!byModule.TryGetValue(s.Module, out var level) || s.Level > level)
            {
                byModule[s.Module] = s.Level;
            }
        }

        var merged = byModule.Select(kv => new Scope(kv.Key, kv.Value))
            .OrderBy(s => s.Module, StringComparer.Ordinal)
            .ToArray();
        return merged.Length == 0 ? Empty : new ScopeSet(merged);
    }

    /// <summary>
    /// Whether these scopes allow a request on a path governed by <paramref name="module"/>
    /// (null means root or <c>/public/</c> itself, which only <c>*</c> reaches).
    /// </summary>
    public bool Allows(string? module, bool write)
    {
        foreach (var s in _scopes)
        {
            if (write && !s.CanWrite)
            {
                continue;
            }

            if (s.IsRoot || (module is not null && string.Equals(s.Module, module, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when every scope of <paramref name="other"/> is covered by this set.</summary>
    public bool Covers(ScopeSet other) =>
        other._scopes.All(s => Allows(s.IsRoot ? null : s.Module, s.CanWrite) && (!s.IsRoot || _scopes.Any(m => m.IsRoot && (m.CanWrite || !s.CanWrite))));

    public override string ToString() => string.Join(' ', _scopes.Select(s => s.ToString()));
}
