using UnhostedStore.Sharing;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

/// <summary>Share URLs: the token and sub-path of a raw target, and what a sub-path may name.</summary>
public class SharePathsTests
{
    private static readonly StoragePath Root = StoragePath.FromStored("/photos/2024/");

    [Theory]
    [InlineData("/s/abc", "abc", "")]
    [InlineData("/s/abc/", "abc", "")]
    [InlineData("/s/abc/a/b.jpg?handler=raw", "abc", "a/b.jpg")]
    [InlineData("/s/abc?handler=zip", "abc", "")]
    [InlineData("/s/abc/%2e%2e/x", "abc", "%2e%2e/x")]
    public void The_token_and_the_encoded_rest_come_from_the_raw_target(string raw, string token, string rest)
    {
        Assert.Equal(new ShareTarget(token, rest), SharePaths.ParseTarget(raw));
    }

    [Theory]
    [InlineData("/storage/u/x")]
    [InlineData("/S/abc")]
    [InlineData("/s")]
    [InlineData(null)]
    public void Other_targets_are_not_share_urls(string? raw)
    {
        Assert.Null(SharePaths.ParseTarget(raw));
    }

    [Theory]
    [InlineData("", "/photos/2024/")]
    [InlineData("a.jpg", "/photos/2024/a.jpg")]
    [InlineData("trip/", "/photos/2024/trip/")]
    [InlineData("trip/b%20c.jpg", "/photos/2024/trip/b c.jpg")]
    [InlineData("caf%C3%A9.png", "/photos/2024/café.png")]
    public void A_sub_path_names_something_below_the_shared_folder(string rest, string expected)
    {
        Assert.Equal(expected, SharePaths.Resolve(Root, rest, out var error)?.Value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../secret")]
    [InlineData("trip/../../secret")]
    [InlineData(".")]
    [InlineData("./a.jpg")]
    [InlineData("%2e%2e/secret")]
    [InlineData("%2E%2E/secret")]
    [InlineData(".%2e/secret")]
    [InlineData("%2e/a.jpg")]
    [InlineData("..%2fsecret")]
    [InlineData("trip%2F..%2F..%2Fsecret")]
    [InlineData("..\\secret")]
    [InlineData("trip%5c..%5csecret")]
    [InlineData("trip%5Csecret")]
    [InlineData("/secret")]
    [InlineData("trip//a.jpg")]
    [InlineData("a%00b")]
    [InlineData("a%zz")]
    [InlineData("a%c3")]
    public void A_sub_path_that_could_leave_the_shared_folder_is_refused(string rest)
    {
        Assert.Null(SharePaths.Resolve(Root, rest, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void A_shared_document_has_nothing_below_it()
    {
        var doc = StoragePath.FromStored("/notes/todo.txt");
        Assert.Equal(doc, SharePaths.Resolve(doc, string.Empty, out _));
        Assert.Null(SharePaths.Resolve(doc, "x", out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("/photos/2024/", "/s/T/")]
    [InlineData("/photos/2024/a b.jpg", "/s/T/a%20b.jpg")]
    [InlineData("/photos/2024/trip/", "/s/T/trip/")]
    [InlineData("/photos/2024/trip/100%.png", "/s/T/trip/100%25.png")]
    public void Urls_inside_a_share_are_encoded_and_resolve_back_to_the_same_path(string path, string url)
    {
        var target = StoragePath.FromStored(path);
        Assert.Equal(url, SharePaths.Url("T", Root, target));
        Assert.Equal(target, SharePaths.Resolve(Root, SharePaths.ParseTarget(url)!.EncodedRest, out _));
        Assert.Equal("/s/T", SharePaths.Url("T", StoragePath.FromStored("/notes/todo.txt"), StoragePath.FromStored("/notes/todo.txt")));
    }

    [Theory]
    [InlineData("photos/2024/", "/photos/2024/")]
    [InlineData("/notes/todo.txt", "/notes/todo.txt")]
    [InlineData("  music/a b.mp3 ", "/music/a b.mp3")]
    [InlineData("public/x%y", "/public/x%y")]
    public void A_typed_path_is_read_as_plain_names(string typed, string expected)
    {
        Assert.Equal(expected, SharePaths.ParseTyped(typed, out var error)?.Value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("./a")]
    [InlineData("a\\b")]
    public void A_typed_path_that_is_not_one_item_of_the_storage_is_refused(string typed)
    {
        Assert.Null(SharePaths.ParseTyped(typed, out var error));
        Assert.NotNull(error);
    }
}
