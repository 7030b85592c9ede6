namespace UnhostedStore.Accounts.Activity;

/// <summary>
/// A short name for the browser and system in a <c>User-Agent</c> header (RFC 9110 §10.1.5),
/// for people to recognise their own devices: "Firefox on Linux", "Safari on iPhone". Only a
/// hint: the header is whatever the client sends. The order of the checks matters, as most
/// browsers name others for compatibility (Edge says Chrome and Safari, Chrome says Safari).
/// </summary>
public static class BrowserNames
{
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown browser";
        }

        var browser = Browser(userAgent);
        var system = System(userAgent);
        return system is null ? browser : browser + " on " + system;
    }

    private static string Browser(string ua)
    {
        if (Has(ua, "Edg/") || Has(ua, "EdgA/") || Has(ua, "EdgiOS/"))
        {
            return "Edge";
        }

        if (Has(ua, "OPR/") || Has(ua, "Opera"))
        {
            return "Opera";
        }

        if (Has(ua, "SamsungBrowser/"))
        {
            return "Samsung Internet";
        }

        if (Has(ua, "Firefox/") || Has(ua, "FxiOS/"))
        {
            return "Firefox";
        }

        if (Has(ua, "HeadlessChrome/"))
        {
            return "Chrome (headless)";
        }

        if (Has(ua, "Chromium/"))
        {
            return "Chromium";
        }

        if (Has(ua, "Chrome/") || Has(ua, "CriOS/"))
        {
            return "Chrome";
        }

        if (Has(ua, "Safari/") && Has(ua, "Version/"))
        {
            return "Safari";
        }

        if (ua.StartsWith("Mozilla/", StringComparison.Ordinal))
        {
            return "A web browser";
        }

        // A tool names itself first: "curl/8.5.0", "python-requests/2.31".
        var product = ua.Split('/', ' ', ';', '(')[0];
        return product.Length == 0 ? "Unknown browser" : AuditTrail.Clip(product, 24)!;
    }

    private static string? System(string ua)
    {
        if (Has(ua, "iPhone"))
        {
            return "iPhone";
        }

        if (Has(ua, "iPad"))
        {
            return "iPad";
        }

        if (Has(ua, "Android"))
        {
            return "Android";
        }

        if (Has(ua, "CrOS"))
        {
            return "ChromeOS";
        }

        if (Has(ua, "Windows"))
        {
            return "Windows";
        }

        if (Has(ua, "Macintosh") || Has(ua, "Mac OS X"))
        {
            return "macOS";
        }

        return Has(ua, "Linux") ? "Linux" : null;
    }

    private static bool Has(string ua, string token) => ua.Contains(token, StringComparison.Ordinal);
}
