using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class ETagTests
{
    [Fact]
    public void New_is_32_lower_case_hex_digits()
    {
        var tag = ETag.New();
        Assert.Equal(32, tag.Value.Length);
        Assert.All(tag.Value, c => Assert.True(c is >= '0' and <= '9' or >= 'a' and <= 'f', $"'{c}' is not lower-case hex"));
    }

    [Fact]
    public void New_never_repeats()
    {
        var tags = Enumerable.Range(0, 10_000).Select(_ => ETag.New().Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(10_000, tags.Count);
        Assert.DoesNotContain(ETag.EmptyFolder.Value, tags);
    }

    [Fact]
    public void Quoted_wraps_the_value_in_double_quotes_and_is_the_string_form()
    {
        var tag = ETag.FromStored("abc123");
        Assert.Equal("\"abc123\"", tag.Quoted);
        Assert.Equal("\"abc123\"", tag.ToString());
        Assert.Equal("abc123", tag.Value);
    }

    [Fact]
    public void The_empty_folder_version_is_stable_and_shaped_like_any_other()
    {
        Assert.Equal(ETag.EmptyFolder, ETag.FromStored(ETag.EmptyFolder.Value));
        Assert.Equal(32, ETag.EmptyFolder.Value.Length);
    }

    [Theory]
    [InlineData("\"abc\"", "abc")]
    [InlineData("\"0123456789abcdef0123456789abcdef\"", "0123456789abcdef0123456789abcdef")]
    [InlineData("\"a!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\"", "a!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")]
    [InlineData("\"\u00e9\"", "\u00e9")]
    [InlineData("\"\"", "")]
    public void TryParse_accepts_a_quoted_strong_tag_and_strips_the_quotes(string header, string value)
    {
        Assert.True(ETag.TryParse(header, out var tag));
        Assert.Equal(value, tag.Value);
        Assert.Equal(header, tag.Quoted);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("\"abc")]
    [InlineData("abc\"")]
    [InlineData("\"")]
    [InlineData("")]
    [InlineData("W/\"abc\"")]
    [InlineData("\"a\"b\"")]
    [InlineData("\"a b\"")]
    [InlineData("\"a\tb\"")]
    [InlineData("\"a\u007fb\"")]
    [InlineData("\"\u20ac\"")]
    [InlineData(" \"abc\"")]
    [InlineData("\"abc\" ")]
    public void TryParse_rejects_unquoted_weak_and_invalid_tags(string header)
    {
        Assert.False(ETag.TryParse(header, out var tag));
        Assert.Equal(default, tag);
    }

    [Fact]
    public void Tags_compare_by_value()
    {
        Assert.Equal(ETag.FromStored("x"), ETag.FromStored("x"));
        Assert.NotEqual(ETag.FromStored("x"), ETag.FromStored("X"));
    }
}
