using System.Globalization;

namespace UnhostedStore.Storage;

public static class HttpDates
{
    /// <summary>IMF-fixdate (RFC 9110 §5.6.7), e.g. <c>Sun, 06 Nov 1994 08:49:37 GMT</c>.
    /// draft-26 §4's example shows "2 Jun" unpadded; we always zero-pad ([AMBIG]).</summary>
    public static string Format(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("r", CultureInfo.InvariantCulture);
}
