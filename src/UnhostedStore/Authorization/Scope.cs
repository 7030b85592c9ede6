namespace UnhostedStore.Authorization;

public enum AccessLevel
{
    Read,
    ReadWrite,
}

/// <summary>
/// One remoteStorage scope (draft-26 §9): <c>&lt;module&gt;:r</c>, <c>&lt;module&gt;:rw</c>,
/// <c>*:r</c> or <c>*:rw</c>.
/// </summary>
public readonly record struct Scope(string Module, AccessLevel Level)
{
    public const string AllModules = "*";

    /// <summary>Module names longer than this are rejected.</summary>
    public const int MaxModuleLength = 64;

    public bool IsRoot => Module == AllModules;

    public bool CanWrite => Level == AccessLevel.ReadWrite;

    public override string ToString() => Module + (Level == AccessLevel.ReadWrite ? ":rw" : ":r");

    /// <summary>
    /// draft-26 §9 says module names SHOULD be lower-case alphanumeric; rs.js does not enforce
    /// that, so <c>[A-Za-z0-9_-]</c> is accepted. <c>public</c> is never a module.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Scope scope)
    {
        scope = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        var module = text[..colon];
        var level = text[(colon + 1)..];
        AccessLevel parsedLevel;
        if (level.SequenceEqual("rw"))
        {
            parsedLevel = AccessLevel.ReadWrite;
        }
        else if (level.SequenceEqual("r"))
        {
            parsedLevel = AccessLevel.Read;
        }
        else
        {
            return false;
        }

        if (module.SequenceEqual(AllModules))
        {
            scope = new Scope(AllModules, parsedLevel);
            return true;
        }

        if (module.Length > MaxModuleLength || module.SequenceEqual("public"))
        {
            return false;
        }

        foreach (var c in module)
        {
            if (c is not (>= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-'))
            {
                return false;
            }
        }

        scope = new Scope(module.ToString(), parsedLevel);
        return true;
    }
}
