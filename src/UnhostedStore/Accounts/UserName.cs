namespace UnhostedStore.Accounts;

/// <summary>
/// A user name: the <c>acct:</c> local part (RFC 7565), the storage path segment and the token
/// subject. Parsed once where it enters (a storage request target, a form, a command line).
/// </summary>
public readonly record struct UserName
{
    public const int MaxLength = 64;

    private UserName(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    /// <summary>
    /// The name of a storage in a request target, already percent-decoded. Any name up to
    /// <see cref="MaxLength"/> other than <c>.</c> and <c>..</c> is well-formed there: a name no
    /// account can have simply owns no storage, and answers like any stranger's storage (401 or
    /// 403), not 400, so the edge never tells which names are taken or possible.
    /// </summary>
    public static bool TryParse(string decoded, out UserName name)
    {
        name = default;
        if (decoded.Length is 0 or > MaxLength || decoded is "." or "..")
        {
            return false;
        }

        name = new UserName(decoded);
        return true;
    }

    /// <summary>
    /// Names a new account may take. They need no escaping anywhere: lower-case letters, digits,
    /// <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or digit, at most <see cref="MaxLength"/>.
    /// </summary>
    public static bool IsValidAccountName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !IsAlnum(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsAlnum(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlnum(char c) => c is >= 'a' and <= 'z' or >= '0' and <= '9';
}
