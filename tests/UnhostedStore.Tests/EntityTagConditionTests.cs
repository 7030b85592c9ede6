using Microsoft.Extensions.Primitives;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class EntityTagConditionTests
{
    private static readonly ETag A = ETag.FromStored("a");
    private static readonly ETag B = ETag.FromStored("b");
    private static readonly ETag C = ETag.FromStored("c");

    private static EntityTagCondition Parse(params string[] values)
    {
        Assert.True(EntityTagCondition.TryParse(new StringValues(values), out var condition), $"'{string.Join("' + '", values)}' should parse");
        Assert.NotNull(condition);
        return condition;
    }

    [Fact]
    public void An_absent_header_parses_as_no_condition()
    {
        Assert.True(EntityTagCondition.TryParse(StringValues.Empty, out var condition));
        Assert.Null(condition);
        Assert.True(EntityTagCondition.TryParse(new StringValues(string.Empty), out condition));
        Assert.Null(condition);
    }

    [Fact]
    public void Star_matches_any_current_version()
    {
        var condition = Parse("*");
        Assert.True(condition.IsAny);
        Assert.Equal(0, condition.Count);
        Assert.True(condition.MatchesStrong(A));
        Assert.True(condition.MatchesWeak(B));
    }

    [Fact]
    public void A_single_tag_matches_only_that_version()
    {
        var condition = Parse("\"a\"");
        Assert.False(condition.IsAny);
        Assert.Equal(1, condition.Count);
        Assert.True(condition.MatchesStrong(A));
        Assert.True(condition.MatchesWeak(A));
        Assert.False(condition.MatchesStrong(B));
        Assert.False(condition.MatchesWeak(B));
    }

    [Fact]
    public void A_list_matches_any_of_its_tags()
    {
        var condition = Parse("\"a\", \"b\"");
        Assert.Equal(2, condition.Count);
        Assert.True(condition.MatchesStrong(A));
        Assert.True(condition.MatchesStrong(B));
        Assert.False(condition.MatchesStrong(C));
    }

    [Fact]
    public void Several_header_lines_form_one_list()
    {
        var condition = Parse("\"a\"", "\"b\", \"c\"");
        Assert.Equal(3, condition.Count);
        Assert.True(condition.MatchesWeak(C));
    }

    [Fact]
    public void Weak_tags_match_only_by_weak_comparison()
    {
        var condition = Parse("W/\"a\"");
        Assert.Equal(1, condition.Count);
        Assert.False(condition.MatchesStrong(A));
        Assert.True(condition.MatchesWeak(A));
        Assert.False(condition.MatchesWeak(B));
    }

    [Fact]
    public void A_strong_tag_in_a_list_with_weak_ones_still_matches_strongly()
    {
        var condition = Parse("W/\"a\", \"b\"");
        Assert.False(condition.MatchesStrong(A));
        Assert.True(condition.MatchesStrong(B));
    }

    [Theory]
    [InlineData("  \"a\"  ")]
    [InlineData("\t\"a\"\t,\t\"b\"")]
    [InlineData("\"a\",\"b\"")]
    public void Whitespace_around_elements_is_allowed(string header)
    {
        Assert.True(Parse(header).MatchesStrong(A));
    }

    [Fact]
    public void Empty_list_elements_are_ignored()
    {
        var condition = Parse(", \"a\",, \"b\" ,");
        Assert.Equal(2, condition.Count);
        Assert.True(condition.MatchesStrong(B));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("\"a")]
    [InlineData("\"a\" \"b\"")]
    [InlineData("\"a\"\"b\"")]
    [InlineData("*, \"a\"")]
    [InlineData("\"a\", *")]
    [InlineData("**")]
    [InlineData("W/a")]
    [InlineData("w/\"a\"")]
    [InlineData("W/")]
    [InlineData("W \"a\"")]
    [InlineData("\"a b\"")]
    [InlineData("\"match me\"")]
    [InlineData("garbage")]
    [InlineData(",")]
    [InlineData(" , , ")]
    [InlineData("\"a\";")]
    public void Malformed_headers_are_rejected(string header)
    {
        Assert.False(EntityTagCondition.TryParse(new StringValues(header), out var condition));
        Assert.Null(condition);
    }

    [Fact]
    public void Star_on_one_line_and_a_tag_on_another_is_rejected()
    {
        Assert.False(EntityTagCondition.TryParse(new StringValues(["*", "\"a\""]), out _));
    }

    [Fact]
    public void At_most_MaxTags_tags_are_accepted()
    {
        var atLimit = string.Join(", ", Enumerable.Range(0, EntityTagCondition.MaxTags).Select(i => $"\"t{i}\""));
        Assert.Equal(EntityTagCondition.MaxTags, Parse(atLimit).Count);

        var overLimit = atLimit + ", \"one-more\"";
        Assert.False(EntityTagCondition.TryParse(new StringValues(overLimit), out _));
    }
}
