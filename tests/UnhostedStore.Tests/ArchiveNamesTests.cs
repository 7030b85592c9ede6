using UnhostedStore.DataFreedom;

namespace UnhostedStore.Tests;

public class ArchiveNamesTests
{
    [Theory]
    [InlineData("a.txt", false, "a.txt")]
    [InlineData("with space 100%", false, "with space 100%")]
    [InlineData("Grüße 日本", false, "Grüße 日本")]
    [InlineData("000_folder-description.json", false, "~us~000_folder-description.json")]
    [InlineData("unhostedstore-export.json", true, "~us~unhostedstore-export.json")]
    [InlineData("unhostedstore-export.json", false, "unhostedstore-export.json")]
    [InlineData("a\\b", false, "~us~a%5Cb")]
    [InlineData("tab\there", false, "~us~tab%09here")]
    [InlineData("~us~x 50%~", false, "~us~%7Eus%7Ex 50%25%7E")]
    public void Names_are_escaped_only_when_they_must_be(string name, bool atRoot, string expected)
    {
        Assert.Equal(expected, ArchiveNames.Escape(name, atRoot));
        Assert.Equal(name, ArchiveNames.Unescape(expected));
    }

    [Theory]
    [InlineData("~us~bad%")]
    [InlineData("~us~bad%G1")]
    [InlineData("~us~%FF")]
    public void A_malformed_escape_is_no_name(string segment) => Assert.Null(ArchiveNames.Unescape(segment));

    [Fact]
    public void A_segment_without_the_marker_is_literal() => Assert.Equal("100%25", ArchiveNames.Unescape("100%25"));
}
