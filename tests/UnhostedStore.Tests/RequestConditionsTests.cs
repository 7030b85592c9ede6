using Microsoft.AspNetCore.Http;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class RequestConditionsTests
{
    private static readonly ETag Current = ETag.FromStored("current");
    private static readonly ETag Other = ETag.FromStored("other");

    private static RequestConditions Parse(string? ifMatch = null, string? ifNoneMatch = null, string? ifRange = null)
    {
        IHeaderDictionary headers = new HeaderDictionary();
        if (ifMatch is not null)
        {
            headers.IfMatch = ifMatch;
        }

        if (ifNoneMatch is not null)
        {
            headers.IfNoneMatch = ifNoneMatch;
        }

        if (ifRange is not null)
        {
            headers.IfRange = ifRange;
        }

        Assert.True(RequestConditions.TryParse(headers, out var conditions, out var error), error);
        Assert.Null(error);
        return conditions;
    }

    [Fact]
    public void Without_conditions_no_write_fails()
    {
        var conditions = Parse();
        Assert.Same(RequestConditions.None, conditions);
        Assert.False(conditions.WriteFails(null));
        Assert.False(conditions.WriteFails(Current));
    }

    [Fact]
    public void If_match_with_the_current_version_lets_the_write_through()
    {
        Assert.False(Parse(ifMatch: "\"current\"").WriteFails(Current));
        Assert.False(Parse(ifMatch: "\"other\", \"current\"").WriteFails(Current));
    }

    [Fact]
    public void If_match_with_a_stale_version_fails_the_write()
    {
        Assert.True(Parse(ifMatch: "\"other\"").WriteFails(Current));
    }

    [Fact]
    public void If_match_on_a_missing_document_fails_the_write()
    {
        Assert.True(Parse(ifMatch: "\"current\"").WriteFails(null));
        Assert.True(Parse(ifMatch: "*").WriteFails(null));
    }

    [Fact]
    public void If_match_star_lets_a_write_to_an_existing_document_through()
    {
        Assert.False(Parse(ifMatch: "*").WriteFails(Current));
    }

    [Fact]
    public void If_match_compares_strongly_so_a_weak_tag_never_matches()
    {
        Assert.True(Parse(ifMatch: "W/\"current\"").WriteFails(Current));
    }

    [Fact]
    public void If_none_match_star_fails_only_when_the_document_exists()
    {
        var conditions = Parse(ifNoneMatch: "*");
        Assert.True(conditions.WriteFails(Current));
        Assert.False(conditions.WriteFails(null));
    }

    [Fact]
    public void If_none_match_with_a_list_fails_when_it_names_the_current_version()
    {
        var conditions = Parse(ifNoneMatch: "\"other\", W/\"current\"");
        Assert.True(conditions.WriteFails(Current));
        Assert.False(conditions.WriteFails(ETag.FromStored("third")));
        Assert.False(conditions.WriteFails(null));
    }

    [Fact]
    public void Both_conditions_must_hold_for_the_write_to_go_through()
    {
        Assert.False(Parse(ifMatch: "\"current\"", ifNoneMatch: "\"other\"").WriteFails(Current));
        Assert.True(Parse(ifMatch: "\"current\"", ifNoneMatch: "\"current\"").WriteFails(Current));
        Assert.True(Parse(ifMatch: "\"other\"", ifNoneMatch: "\"third\"").WriteFails(Current));
        Assert.False(Parse(ifMatch: "\"other\"", ifNoneMatch: "\"current\"").WriteFails(Other));
    }

    [Theory]
    [InlineData("If-Match", "not-a-tag")]
    [InlineData("If-Match", "\"match me\"")]
    [InlineData("If-None-Match", "*, \"a\"")]
    [InlineData("If-None-Match", "garbage")]
    public void An_unparseable_condition_is_no_error_but_is_named_and_left_out(string header, string value)
    {
        var headers = new HeaderDictionary { [header] = value };
        Assert.True(RequestConditions.TryParse(headers, out var conditions, out var error));
        Assert.Null(error);
        Assert.Equal(header, conditions.Unparseable);
        Assert.Null(conditions.IfMatch);
        Assert.Null(conditions.IfNoneMatch);
    }

    [Theory]
    [InlineData("If-Match")]
    [InlineData("If-None-Match")]
    public void An_unparseable_condition_fails_every_write_whether_or_not_the_document_exists(string header)
    {
        var headers = new HeaderDictionary { [header] = "\"match me\"" };
        Assert.True(RequestConditions.TryParse(headers, out var conditions, out _));
        Assert.True(conditions.WriteFails(null));
        Assert.True(conditions.WriteFails(Current));
    }

    [Fact]
    public void A_valid_condition_beside_an_unparseable_one_is_kept()
    {
        var headers = new HeaderDictionary { ["If-Match"] = "garbage", ["If-None-Match"] = "\"current\"" };
        Assert.True(RequestConditions.TryParse(headers, out var conditions, out _));
        Assert.Equal("If-Match", conditions.Unparseable);
        Assert.Null(conditions.IfMatch);
        Assert.True(conditions.IfNoneMatch!.MatchesWeak(Current));
    }

    [Fact]
    public void Valid_conditions_are_not_unparseable()
    {
        Assert.Null(Parse(ifMatch: "\"current\"", ifNoneMatch: "*").Unparseable);
    }

    [Fact]
    public void Two_if_range_headers_are_an_error()
    {
        var headers = new HeaderDictionary { ["If-Range"] = new(["\"a\"", "\"b\""]) };
        Assert.False(RequestConditions.TryParse(headers, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void A_range_applies_without_if_range_or_when_if_range_names_the_current_version()
    {
        Assert.True(Parse().RangeApplies(Current));
        Assert.True(Parse(ifRange: "\"current\"").RangeApplies(Current));
        Assert.False(Parse(ifRange: "\"other\"").RangeApplies(Current));
        Assert.False(Parse(ifRange: "W/\"current\"").RangeApplies(Current));
        Assert.False(Parse(ifRange: "Sat, 02 Jun 2018 15:58:23 GMT").RangeApplies(Current));
    }
}
