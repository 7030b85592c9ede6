using UnhostedStore.DataFreedom;

namespace UnhostedStore.Tests;

/// <summary>The export's name rule: names as they are, but for the archive's own file names,
/// backslashes, control characters and the marker itself; every name comes back exactly.</summary>
public sealed class ExportArchiveNamesTests
{
    [Theory]
    [InlineData("notes", true)]
    [InlineData("note 1.txt", false)]
    [InlineData("100% done.txt", false)]
    [InlineData("日本語 メモ.md", false)]
    [InlineData("café~1.txt", false)]
    [InlineData("unhostedstore-export.json", false)]
    [InlineData("001_folder-description.json", true)]
    public void Ordinary_names_are_written_as_they_are(string name, bool atRoot) =>
        Assert.Equal(name, ArchiveNames.Escape(name, atRoot));

    [Theory]
    [InlineData("000_folder-description.json", false, "~us~000_folder-description.json")]
    [InlineData("000_folder-description.json", true, "~us~000_folder-description.json")]
    [InlineData("unhostedstore-export.json", true, "~us~unhostedstore-export.json")]
    [InlineData("back\\slash.txt", false, "~us~back%5Cslash.txt")]
    [InlineData("bell\u0007.txt", false, "~us~bell%07.txt")]
    [InlineData("del\u007f", false, "~us~del%7F")]
    [InlineData("tab\tand 50%", false, "~us~tab%09and 50%25")]
    [InlineData("~us~x", false, "~us~%7Eus%7Ex")]
    [InlineData("~us~100% ~ \\ é", false, "~us~%7Eus%7E100%25 %7E %5C é")]
    public void Names_a_zip_cannot_hold_or_that_collide_are_marked_and_percent_encoded(string name, bool atRoot, string escaped)
    {
        Assert.Equal(escaped, ArchiveNames.Escape(name, atRoot));
        Assert.Equal(name, ArchiveNames.Unescape(escaped));
    }

    [Theory]
    [InlineData("plain.txt")]
    [InlineData("100%25.txt")]
    [InlineData("~u~s")]
    public void Unmarked_segments_are_taken_literally(string segment) =>
        Assert.Equal(segment, ArchiveNames.Unescape(segment));

    [Fact]
    public void Every_name_comes_back_exactly_through_escape_and_unescape()
    {
        var random = new Random(42);
        // Whole characters only: a storage name is decoded UTF-8, so it never holds a lone surrogate.
        string[] alphabet = ["a", "b", "~", "%", "\\", "\u0001", "\u001f", "\u007f", " ", "é", "日", "😀", "."];
        for (var i = 0; i < 5000; i++)
        {
            var name = string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            foreach (var atRoot in new[] { true, false })
            {
                var escaped = ArchiveNames.Escape(name, atRoot);
                Assert.Equal(name, ArchiveNames.Unescape(escaped));
                Assert.DoesNotContain(escaped, c => c == '\\' || char.IsControl(c));
            }
        }
    }
}
