using System.Text;
using UnhostedStore.Accounts;

namespace UnhostedStore.Pages.Account;

/// <summary>One app of the account page's list, with the link that opens it.</summary>
public sealed record StorageFirstLink(string Name, string Description, string Href);

/// <summary>
/// draft-26 §11 "storage first": the provider links to an app with
/// <c>#remotestorage=&lt;user&gt;@&lt;host&gt;</c>; the app asks the person to confirm, then
/// connects to that address as if it had been typed in.
/// </summary>
public static class StorageFirstLinks
{
    public static IReadOnlyList<StorageFirstLink> For(IEnumerable<KnownApp> apps, string address) =>
        apps.Select(a => new StorageFirstLink(a.Name, a.Description, Link(a.Url, address))).ToList();

    public static string Link(string appUrl, string address) => appUrl + "#remotestorage=" + Encode(address);

    /// <summary>Percent-encodes (UTF-8) all but the unreserved characters, ':' and '@', which a
    /// fragment may hold as they are (RFC 3986 §3.5); '&amp;', '=' and '#' can then never cut the
    /// value short, and remotestorage.js decodes it with decodeURIComponent.</summary>
    public static string Encode(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ':' or '@'))
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
