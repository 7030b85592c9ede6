using UnhostedStore.Blobs;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class RangeHeaderTests
{
    [Theory]
    [InlineData("bytes=0-4", 0, 5)]
    [InlineData("bytes=3-3", 3, 1)]
    [InlineData("bytes=0-9", 0, 10)]
    [InlineData("BYTES=2-5", 2, 4)]
    public void A_first_last_range_is_served_as_asked(string header, long start, long length)
    {
        Assert.Equal(RangeParseStatus.Satisfiable, RangeHeader.TryParse(header, 10, out var range));
        Assert.Equal(new ByteRange(start, length), range);
    }

    [Fact]
    public void An_open_ended_range_runs_to_the_last_byte()
    {
        Assert.Equal(RangeParseStatus.Satisfiable, RangeHeader.TryParse("bytes=5-", 10, out var range));
        Assert.Equal(new ByteRange(5, 5), range);
        Assert.Equal(9, range.End);
    }

    [Fact]
    public void A_suffix_range_is_the_last_n_bytes()
    {
        Assert.Equal(RangeParseStatus.Satisfiable, RangeHeader.TryParse("bytes=-3", 10, out var range));
        Assert.Equal(new ByteRange(7, 3), range);
    }

    [Fact]
    public void A_suffix_longer_than_the_document_is_the_whole_document()
    {
        Assert.Equal(RangeParseStatus.Satisfiable, RangeHeader.TryParse("bytes=-20", 10, out var range));
        Assert.Equal(new ByteRange(0, 10), range);
    }

    [Fact]
    public void A_last_position_past_the_end_is_clamped_to_the_last_byte()
    {
        Assert.Equal(RangeParseStatus.Satisfiable, RangeHeader.TryParse("bytes=5-100", 10, out var range));
        Assert.Equal(new ByteRange(5, 5), range);
    }

    [Fact]
    public void Content_range_names_first_last_and_total()
    {
        Assert.Equal("bytes 2-5/10", RangeHeader.ContentRange(new ByteRange(2, 4), 10));
    }

    [Theory]
    [InlineData("bytes=10-", 10)]
    [InlineData("bytes=10-20", 10)]
    [InlineData("bytes=50-60", 10)]
    [InlineData("bytes=-0", 10)]
    [InlineData("bytes=0-", 0)]
    [InlineData("bytes=-5", 0)]
    [InlineData("bytes=0-0", 0)]
    public void A_range_starting_at_or_past_the_end_is_unsatisfiable(string header, long length)
    {
        Assert.Equal(RangeParseStatus.Unsatisfiable, RangeHeader.TryParse(header, length, out _));
    }

    [Theory]
    [InlineData("bytes=")]
    [InlineData("bytes=5")]
    [InlineData("bytes=-")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=a-5")]
    [InlineData("bytes=1-b")]
    [InlineData("bytes=5-3")]
    [InlineData("bytes=1-2-3")]
    [InlineData("bytes=--3")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes=-x")]
    [InlineData("bytes=9999999999999999999-")]
    public void A_malformed_bytes_range_is_reported_as_malformed(string header)
    {
        Assert.Equal(RangeParseStatus.Malformed, RangeHeader.TryParse(header, 10, out _));
    }

    [Theory]
    [InlineData("bytes=0-1,3-4")]
    [InlineData("bytes=0-1, 5-")]
    [InlineData("bytes=-1,-2")]
    public void A_multi_range_request_is_ignored(string header)
    {
        Assert.Equal(RangeParseStatus.Ignore, RangeHeader.TryParse(header, 10, out var range));
        Assert.Equal(default, range);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-4")]
    [InlineData("bits=0-4")]
    [InlineData("byte=0-4")]
    public void An_absent_header_or_another_unit_is_ignored(string? header)
    {
        Assert.Equal(RangeParseStatus.Ignore, RangeHeader.TryParse(header, 10, out _));
    }
}
