namespace UnhostedStore.Accounts;

/// <summary>
/// Account names are <c>acct:</c> local parts (RFC 7565) that are also storage path segments and
/// token subjects, so we keep to a set that needs no escaping anywhere: lower-case letters,
/// digits, <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or digit, at most 64 characters.
/// </summary>
public static class UserNames
{
    public const int MaxLength = 64;

    public static bool IsValid(string? name)
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
