using UnhostedStore.Storage.History;

namespace UnhostedStore.Tests;

public class HistoryExpiryRestTests
{
    [Fact]
    public void A_step_is_followed_by_a_rest_as_long_as_the_step()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(40), HistoryExpiry.RestAfter(TimeSpan.FromMilliseconds(40)));
    }

    [Fact]
    public void A_long_step_rests_at_most_one_second()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), HistoryExpiry.RestAfter(TimeSpan.FromSeconds(7)));
    }

    [Fact]
    public void A_step_that_took_no_measurable_time_does_not_rest()
    {
        Assert.Equal(TimeSpan.Zero, HistoryExpiry.RestAfter(TimeSpan.Zero));
        Assert.Equal(TimeSpan.Zero, HistoryExpiry.RestAfter(TimeSpan.FromTicks(-5)));
    }
}
