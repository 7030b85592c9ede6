using Microsoft.Extensions.Primitives;

namespace UnhostedStore.Authorization;

public enum BearerTokenStatus
{
    Absent,
    Present,
    Malformed,
}

/// <summary>Reads an RFC 6750 §2.1 bearer credential from the Authorization header.</summary>
public static class BearerToken
{
    /// <summary>Longer credentials are malformed; our tokens are 43 characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>
    /// No credentials at all: no Authorization header, or one that is empty or only whitespace
    /// (some clients send <c>Authorization:</c> with nothing when they have no token yet).
    /// </summary>
    public static bool IsBlank(StringValues authorization) =>
        authorization.Count == 0 || (authorization.Count == 1 && string.IsNullOrWhiteSpace(authorization[0]));

    public static BearerTokenStatus Read(StringValues authorization, out string token)
    {
        token = string.Empty;
        if (IsBlank(authorization))
        {
            return BearerTokenStatus.Absent;
        }

        if (authorization.Count > 1)
        {
            return BearerTokenStatus.Malformed;
        }

        var value = authorization[0].AsSpan();
        if (value.Length < 7 || !value[..7].Equals("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // Another scheme (Basic, …) is not a bearer token: answered as "no token".
            return BearerTokenStatus.Absent;
        }

        var t = value[7..].Trim(' ');
        if (t.IsEmpty || t.Length > MaxLength || !IsB64Token(t))
        {
            return BearerTokenStatus.Malformed;
        }

        token = t.ToString();
        return BearerTokenStatus.Present;
    }

    // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    private static bool IsB64Token(ReadOnlySpan<char> t)
    {
        var i = 0;
        while (i < t.Length && t[i] is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '.' or '_' or '~' or '+' or '/')
        {
            i++;
        }

        if (i == 0)
        {
            return false;
        }

        while (i < t.Length && t[i] == '=')
        {
            i++;
        }

        return i == t.Length;
    }
}
