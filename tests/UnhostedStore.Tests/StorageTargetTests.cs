using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class StorageTargetTests
{
    private const int MaxUrl = 8192;

    private static StorageTarget Ok(string raw, int maxUrl = MaxUrl)
    {
        var target = StorageTarget.Parse(raw, maxUrl);
        Assert.Null(target.Outcome);
        Assert.NotNull(target.Owner);
        Assert.NotNull(target.Path);
        return target;
    }

    private static void AssertBadRequest(string? raw)
    {
        var target = StorageTarget.Parse(raw, MaxUrl);
        Assert.IsType<StorageOutcome.BadRequest>(target.Outcome);
        Assert.Null(target.Owner);
        Assert.Null(target.Path);
    }

    [Fact]
    public void Parse_splits_user_and_path()
    {
        var target = Ok("/storage/alice/notes/a");
        Assert.Equal("alice", target.Owner);
        Assert.Equal("/notes/a", target.Path!.Value);
    }

    [Fact]
    public void Parse_gives_the_root_folder_for_a_trailing_slash_after_the_user()
    {
        Assert.True(Ok("/storage/alice/").Path!.IsRoot);
    }

    [Theory]
    [InlineData("/storage/al%69ce/x", "alice")]
    [InlineData("/storage/j%C3%B6rg/x", "jörg")]
    [InlineData("/storage/a.b-c_d/x", "a.b-c_d")]
    public void Parse_decodes_the_user_name_once(string raw, string owner)
    {
        Assert.Equal(owner, Ok(raw).Owner);
    }

    [Theory]
    [InlineData("/storage/alice/notes/a?x=1", "/notes/a")]
    [InlineData("/storage/alice/notes/?a/../b", "/notes/")]
    [InlineData("/storage/alice/?", "/")]
    public void Parse_strips_the_query(string raw, string path)
    {
        Assert.Equal(path, Ok(raw).Path!.Value);
    }

    [Theory]
    [InlineData("/storage/alice")]
    [InlineData("/storage/alice?x=/y")]
    [InlineData("/storage/")]
    [InlineData("/storage//x")]
    public void Parse_rejects_a_missing_user_or_path(string raw)
    {
        AssertBadRequest(raw);
    }

    [Theory]
    [InlineData("/storage/%2E%2E/x")]
    [InlineData("/storage/./x")]
    [InlineData("/storage/a%2Fb/x")]
    [InlineData("/storage/a%00/x")]
    [InlineData("/storage/a%zz/x")]
    [InlineData("/storage/%FF/x")]
    public void Parse_rejects_an_invalid_user_name(string raw)
    {
        AssertBadRequest(raw);
    }

    [Fact]
    public void Parse_rejects_a_user_name_longer_than_the_limit()
    {
        Assert.Equal("/x", Ok($"/storage/{new string('u', UnhostedStore.Accounts.UserName.MaxLength)}/x").Path!.Value);
        AssertBadRequest($"/storage/{new string('u', UnhostedStore.Accounts.UserName.MaxLength + 1)}/x");
    }

    [Theory]
    [InlineData("/storage/alice/a/../b")]
    [InlineData("/storage/alice/a//b")]
    [InlineData("/storage/alice/a%2Fb")]
    public void Parse_rejects_an_invalid_path(string raw)
    {
        AssertBadRequest(raw);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("http://host/storage/alice/x")]
    [InlineData("*")]
    [InlineData("/other/alice/x")]
    [InlineData("/Storage/alice/x")]
    public void Parse_rejects_a_target_not_in_origin_form_under_storage(string? raw)
    {
        AssertBadRequest(raw);
    }

    [Fact]
    public void Parse_answers_414_for_a_target_longer_than_the_url_limit()
    {
        var raw = "/storage/alice/" + new string('a', 100);
        Assert.Null(StorageTarget.Parse(raw, raw.Length).Outcome);
        Assert.IsType<StorageOutcome.UriTooLong>(StorageTarget.Parse(raw, raw.Length - 1).Outcome);
    }

    [Fact]
    public void Parse_answers_414_for_a_path_too_long_to_store_even_within_the_url_limit()
    {
        var raw = "/storage/alice/" + new string('a', StoragePath.MaxPathBytes);
        var target = StorageTarget.Parse(raw, int.MaxValue);
        Assert.IsType<StorageOutcome.UriTooLong>(target.Outcome);
        Assert.Null(target.Path);
    }
}
