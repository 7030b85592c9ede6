using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class HttpDatesTests
{
    [Fact]
    public void Format_writes_the_rfc_9110_example()
    {
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", HttpDates.Format(new DateTime(1994, 11, 6, 8, 49, 37, DateTimeKind.Utc)));
    }

    [Fact]
    public void Format_zero_pads_the_day_and_the_time()
    {
        Assert.Equal("Sat, 02 Jun 2018 05:08:03 GMT", HttpDates.Format(new DateTime(2018, 6, 2, 5, 8, 3, DateTimeKind.Utc)));
    }

    [Fact]
    public void Format_treats_an_unspecified_kind_as_utc_as_stored_timestamps_are()
    {
        Assert.Equal("Wed, 25 Nov 2026 18:00:00 GMT", HttpDates.Format(new DateTime(2026, 11, 25, 18, 0, 0, DateTimeKind.Unspecified)));
    }

    [Fact]
    public void Format_drops_fractions_of_a_second()
    {
        Assert.Equal("Fri, 31 Dec 1999 23:59:59 GMT", HttpDates.Format(new DateTime(1999, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc)));
    }

    [Fact]
    public void Format_round_trips_through_the_imf_fixdate_parser()
    {
        var utc = new DateTime(2030, 1, 7, 12, 34, 56, DateTimeKind.Utc);
        var text = HttpDates.Format(utc);
        Assert.Equal(29, text.Length);
        Assert.Equal(utc, DateTime.ParseExact(text, "r", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal));
    }
}
