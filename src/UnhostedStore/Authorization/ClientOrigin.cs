using System.Net;

namespace UnhostedStore.Authorization;

/// <summary>
/// The identity of an unregistered app (draft-26 §10): the RFC 6454 origin of its
/// <c>redirect_uri</c>. Only https origins, plus http on loopback hosts, are accepted.
/// </summary>
public sealed record ClientOrigin
{
    private ClientOrigin(string value) => Value = value;

    /// <summary><c>scheme://host[:port]</c>, lower-case, default port omitted, no trailing slash.</summary>
    public string Value { get; }

    public override string ToString() => Value;

    /// <summary>Parses a <c>redirect_uri</c>: absolute, https (or http on loopback), no user
    /// info, no fragment (RFC 6749 §3.1.2).</summary>
    public static bool TryParseRedirectUri(string? redirectUri, out ClientOrigin? origin, out string? error)
    {
        origin = null;
        if (string.IsNullOrEmpty(redirectUri))
        {
            error = "redirect_uri is required";
            return false;
        }

        if (redirectUri.Length > 2048)
        {
            error = "redirect_uri is too long";
            return false;
        }

        // RFC 3986 §2: a URI is printable ASCII. The redirect_uri ends up in a Location header,
        // where CR/LF made Kestrel fail the consent POST with a 500 and spaces, tabs or non-ASCII
        // went out raw; rs.js sends origin + pathname, which browsers have percent-encoded.
        foreach (var c in redirectUri)
        {
            if (c is <= ' ' or >= '\u007f')
            {
                error = "redirect_uri must be a percent-encoded URL";
                return false;
            }
        }

        if (redirectUri.Contains('#', StringComparison.Ordinal))
        {
            error = "redirect_uri must not contain a fragment";
            return false;
        }

        if (!Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo) || string.IsNullOrEmpty(uri.Host))
        {
            error = "redirect_uri must be an absolute URL";
            return false;
        }

        return TryFromUri(uri, out origin, out error);
    }

    /// <summary>Parses an origin as given on the command line, e.g. <c>https://app.example</c>.</summary>
    public static bool TryParse(string? text, out ClientOrigin? origin, out string? error)
    {
        origin = null;
        if (string.IsNullOrEmpty(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "an origin looks like https://app.example";
            return false;
        }

        return TryFromUri(uri, out origin, out error);
    }

    private static bool TryFromUri(Uri uri, out ClientOrigin? origin, out string? error)
    {
        origin = null;
        var https = uri.Scheme == Uri.UriSchemeHttps;
        if (!https && !(uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))
        {
            error = "apps must use https (http only on localhost)";
            return false;
        }

        var value = uri.Scheme + "://" + uri.IdnHost.ToLowerInvariant() + (uri.IsDefaultPort ? string.Empty : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (uri.HostNameType == UriHostNameType.IPv6)
        {
            value = uri.Scheme + "://[" + uri.IdnHost.Trim('[', ']') + "]" + (uri.IsDefaultPort ? string.Empty : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        origin = new ClientOrigin(value);
        error = null;
        return true;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
