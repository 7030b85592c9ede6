using UnhostedStore.Storage;
using UnhostedStore.Storage.Moving;

namespace UnhostedStore.Tests;

public class MoveRulesTests
{
    [Theory]
    [InlineData("/notes/a", "/notes/a")]
    [InlineData("notes/a", "/notes/a")]
    [InlineData("  /photos/2024/ ", "/photos/2024/")]
    [InlineData("/music/my song.mp3", "/music/my song.mp3")]
    [InlineData("/a/100%", "/a/100%")]
    [InlineData("/", "/")]
    public void A_typed_path_is_read_as_shown_not_percent_decoded(string typed, string expected)
    {
        var path = TypedPaths.Parse(typed, out var error);
        Assert.Null(error);
        Assert.Equal(expected, path!.Value);
    }

    [Theory]
    [InlineData("", "Name a folder or a document.")]
    [InlineData(null, "Name a folder or a document.")]
    [InlineData("/a\\b", "Use / between folder names, not \\.")]
    [InlineData("/a//b", "is not a path in your storage")]
    [InlineData("/a/../b", "is not a path in your storage")]
    [InlineData("/a/./b", "is not a path in your storage")]
    [InlineData("/a/\0", "is not a path in your storage")]
    public void A_typed_path_that_is_not_a_storage_path_gets_a_plain_reason(string? typed, string says)
    {
        Assert.Null(TypedPaths.Parse(typed, out var error));
        Assert.Contains(says, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_typed_path_longer_than_a_stored_path_may_be_is_refused()
    {
        Assert.Null(TypedPaths.Parse("/" + new string('a', StoragePath.MaxPathBytes), out var error));
        Assert.Equal("That path is too long.", error);
    }

    [Theory]
    [InlineData("/", "/x/", "whole storage")]
    [InlineData("/public/", "/x/", "public folder itself")]
    [InlineData("/x/", "/", "can't be a new name")]
    [InlineData("/x/", "/public/", "can't be a new name")]
    [InlineData("/x/", "/y", "must end with /")]
    [InlineData("/x", "/y/", "must not end with /")]
    [InlineData("/x/", "/x/", "already there")]
    [InlineData("/x/", "/x/y/", "into itself")]
    [InlineData("/x/", "/x/y/z/", "into itself")]
    public void A_move_that_cannot_be_done_is_refused_before_anything_is_read(string from, string to, string says)
    {
        Assert.Contains(says, Moves.Refusal(StoragePath.FromStored(from), StoragePath.FromStored(to)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/x/", "/xy/")]
    [InlineData("/x/y/", "/x/")]
    [InlineData("/music/", "/songs/")]
    [InlineData("/public/music/", "/music/")]
    [InlineData("/a", "/a/b")]
    [InlineData("/notes/a", "/public/notes/a")]
    public void Renames_next_to_itself_up_down_and_across_public_are_allowed(string from, string to)
    {
        Assert.Null(Moves.Refusal(StoragePath.FromStored(from), StoragePath.FromStored(to)));
    }

    [Theory]
    [InlineData("/notes/a", "/public/notes/a", VisibilityChange.BecomesPublic)]
    [InlineData("/public/notes/", "/notes/", VisibilityChange.BecomesPrivate)]
    [InlineData("/public/a", "/public/b/a", VisibilityChange.None)]
    [InlineData("/a", "/b", VisibilityChange.None)]
    public void A_report_says_when_a_move_changes_who_can_read(string from, string to, VisibilityChange change)
    {
        var report = new MoveReport(StoragePath.FromStored(from), StoragePath.FromStored(to), 1, 1, null);
        Assert.Equal(change, report.Visibility);
        Assert.Equal(StoragePath.FromStored(to).Parent, report.DestinationFolder);
    }
}
