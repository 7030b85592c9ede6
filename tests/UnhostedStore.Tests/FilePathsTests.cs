using UnhostedStore.Pages.Files;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

/// <summary>The file browser's <c>path</c> parameter: what it accepts (exactly what the storage
/// API stores), how it is written back into addresses, and how a row names who wrote it.</summary>
public class FilePathsTests
{
    [Theory]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData("/music/", "/music/")]
    [InlineData("/music/a song+b?.mp3", "/music/a song+b?.mp3")]
    [InlineData("/notes/100% done#1.txt", "/notes/100% done#1.txt")]
    [InlineData("/café/naïve.txt", "/café/naïve.txt")]
    [InlineData("/back\\slash", "/back\\slash")]
    public void A_decoded_path_is_parsed_as_the_storage_api_would(string? query, string expected)
    {
        Assert.Equal(expected, FilePaths.Parse(query, out var error)?.Value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("music/", "A path starts with /.")]
    [InlineData("/a/../b", "That is not a path in your storage")]
    [InlineData("/a/./b", "That is not a path in your storage")]
    [InlineData("/a//b", "That is not a path in your storage")]
    [InlineData("/a/\0", "That is not a path in your storage")]
    public void Anything_else_is_refused_with_a_plain_reason(string query, string reason)
    {
        Assert.Null(FilePaths.Parse(query, out var error));
        Assert.StartsWith(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_too_long_for_the_storage_is_refused()
    {
        Assert.Null(FilePaths.Parse("/" + new string('a', StoragePath.MaxPathBytes), out var error));
        Assert.Equal("That path is too long.", error);
    }

    [Theory]
    [InlineData("/", "/files")]
    [InlineData("/music/", "/files?path=/music/")]
    [InlineData("/a b/c+d&e=f?.txt", "/files/preview?path=/a%20b/c%2Bd%26e%3Df%3F.txt")]
    [InlineData("/x/100%.txt", "/files/preview?path=/x/100%25.txt")]
    public void Addresses_keep_the_slashes_and_escape_every_name(string path, string expected)
    {
        var parsed = StoragePath.FromStored(path);
        Assert.Equal(expected, parsed.IsFolder ? FilePaths.Browse(parsed) : FilePaths.Preview(parsed));

        // What the server decodes from that address is the same path again.
        var query = expected.Contains('?', StringComparison.Ordinal) ? Uri.UnescapeDataString(expected[(expected.IndexOf("path=", StringComparison.Ordinal) + 5)..]) : null;
        Assert.Equal(path, FilePaths.Parse(query, out _)!.Value);
    }

    [Theory]
    [InlineData("https://app.example", "app.example", "https://app.example")]
    [InlineData("http://localhost:8080", "localhost:8080", "http://localhost:8080")]
    [InlineData("import", "import", null)]
    [InlineData("Files page", "Files page", null)]
    [InlineData(null, "—", "Not recorded")]
    [InlineData("", "—", "Not recorded")]
    public void A_row_names_the_apps_host_and_keeps_its_origin_for_the_tooltip(string? modifiedBy, string text, string? title)
    {
        Assert.Equal((text, title), FilePaths.WrittenBy(modifiedBy));
    }

    [Fact]
    public void Breadcrumbs_lead_from_all_files_to_the_folder_shown()
    {
        var trail = FilePaths.Crumbs(StoragePath.FromStored("/music/live/"));
        Assert.Equal(["All files", "music", "live"], trail.Crumbs.Select(c => c.Name));
        Assert.Equal(["/files", "/files?path=/music/", "/files?path=/music/live/"], trail.Crumbs.Select(c => c.Url));
        Assert.True(trail.LastIsCurrent);
        var ofDocument = FilePaths.Crumbs(StoragePath.FromStored("/music/live/a.mp3"));
        Assert.Equal(3, ofDocument.Crumbs.Count);
        Assert.False(ofDocument.LastIsCurrent);
    }
}
