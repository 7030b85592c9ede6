using System.Globalization;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace UnhostedStore.Pages.Text;

/// <summary>
/// Sizes, counts and times as a person reads them, in the language and number format of the
/// request (<see cref="CultureInfo.CurrentCulture"/>, set by request localization). Records that
/// describe a row (<c>ShareItem</c>, <c>FileRow</c>) use it too, so it reads the
/// <see cref="SiteText"/> resources itself rather than taking a localizer from each caller.
/// </summary>
public static class Words
{
    private static readonly ResourceManagerStringLocalizerFactory Factory =
        new(Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance);

    private static readonly IStringLocalizer Site = Of<SiteText>();

    /// <summary>Bytes in words read at a glance (1 KB = 1024 bytes).</summary>
    public static string Size(long bytes) =>
        Scaled(bytes, CultureInfo.CurrentCulture) ?? Site[bytes == 1 ? "Size_Byte" : "Size_Bytes", Number(bytes)];

    /// <summary>A size of 1 KB or more in the largest unit that keeps it at 1 or above (one
    /// decimal below 10), numbers as <paramref name="culture"/> writes them; null below 1 KB,
    /// which each caller words itself.</summary>
    public static string? Scaled(long bytes, CultureInfo culture)
    {
        string[] units = ["bytes", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? null : value.ToString(value < 10 ? "0.0" : "0", culture) + " " + units[unit];
    }

    /// <summary>A number with the culture's digit grouping.</summary>
    public static string Number(long n) => n.ToString("N0", CultureInfo.CurrentCulture);

    /// <summary><paramref name="n"/> things: <paramref name="noun"/> names the pair of keys
    /// <c>Count_{noun}_One</c> and <c>Count_{noun}_Other</c> in <see cref="SiteText"/>.</summary>
    public static string Count(long n, string noun) =>
        Site[n == 1 ? "Count_" + noun + "_One" : "Count_" + noun + "_Other", Number(n)];

    /// <summary>A time as the pages show it (UTC), or <paramref name="none"/>.</summary>
    public static string When(DateTime? utc, string none) =>
        utc is { } t ? t.ToString(Site["DateTimeFormat"], CultureInfo.CurrentCulture) : none;

    /// <summary>A time for machines (<c>&lt;time datetime&gt;</c>): ISO 8601, whatever the language.</summary>
    public static string Iso(DateTime utc) => utc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The texts of one area, for code that has no localizer injected (static helpers
    /// and records); the factory caches one localizer per area.</summary>
    public static IStringLocalizer Of<TArea>() => Factory.Create(typeof(TArea));

    /// <summary>A text of <see cref="SiteText"/>.</summary>
    public static string Get(string key, params object[] args) => Site[key, args];
}
