using UnhostedStore.Authorization;

namespace UnhostedStore.Tests;

public class ScopeSetTests
{
    private static ScopeSet Parse(string text)
    {
        Assert.True(ScopeSet.TryParse(text, out var set), $"'{text}' should parse");
        return set;
    }

    [Fact]
    public void TryParse_reads_space_separated_scopes_in_module_order()
    {
        var set = Parse("notes:rw  contacts:r");
        Assert.Equal([new Scope("contacts", AccessLevel.Read), new Scope("notes", AccessLevel.ReadWrite)], set.Scopes);
        Assert.Equal("contacts:r notes:rw", set.ToString());
        Assert.False(set.IsEmpty);
    }

    [Theory]
    [InlineData("contacts:r contacts:rw")]
    [InlineData("contacts:rw contacts:r")]
    [InlineData("contacts:rw contacts:rw")]
    public void Read_and_read_write_of_one_module_merge_into_read_write(string text)
    {
        var set = Parse(text);
        Assert.Equal([new Scope("contacts", AccessLevel.ReadWrite)], set.Scopes);
    }

    [Fact]
    public void Duplicate_read_scopes_merge_into_one()
    {
        Assert.Equal("*:r", Parse("*:r *:r").ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("contacts:r public:rw")]
    [InlineData("contacts:r a:x")]
    [InlineData(":r")]
    [InlineData("contacts:r,notes:r")]
    public void TryParse_rejects_empty_text_and_any_invalid_scope(string? text)
    {
        Assert.False(ScopeSet.TryParse(text, out var set));
        Assert.Same(ScopeSet.Empty, set);
    }

    [Fact]
    public void A_module_read_scope_allows_reading_that_module_only()
    {
        var set = Parse("contacts:r");
        Assert.True(set.Allows("contacts", write: false));
        Assert.False(set.Allows("contacts", write: true));
        Assert.False(set.Allows("notes", write: false));
        Assert.False(set.Allows("Contacts", write: false));
        Assert.False(set.Allows(null, write: false));
    }

    [Fact]
    public void A_module_read_write_scope_allows_reading_and_writing_that_module_but_not_the_root()
    {
        var set = Parse("contacts:rw");
        Assert.True(set.Allows("contacts", write: false));
        Assert.True(set.Allows("contacts", write: true));
        Assert.False(set.Allows(null, write: false));
        Assert.False(set.Allows("notes", write: true));
    }

    [Fact]
    public void A_star_read_scope_allows_reading_everything_including_the_root()
    {
        var set = Parse("*:r");
        Assert.True(set.Allows(null, write: false));
        Assert.True(set.Allows("anything", write: false));
        Assert.False(set.Allows(null, write: true));
        Assert.False(set.Allows("anything", write: true));
    }

    [Fact]
    public void A_star_read_write_scope_allows_everything()
    {
        var set = Parse("*:rw");
        Assert.True(set.Allows(null, write: true));
        Assert.True(set.Allows("anything", write: true));
    }

    [Fact]
    public void Access_is_the_union_of_the_scopes()
    {
        var set = Parse("contacts:r notes:rw");
        Assert.True(set.Allows("notes", write: true));
        Assert.True(set.Allows("contacts", write: false));
        Assert.False(set.Allows("contacts", write: true));

        var mixed = Parse("*:r notes:rw");
        Assert.True(mixed.Allows("notes", write: true));
        Assert.True(mixed.Allows("contacts", write: false));
        Assert.False(mixed.Allows("contacts", write: true));
    }

    [Fact]
    public void The_empty_set_allows_nothing()
    {
        Assert.True(ScopeSet.Empty.IsEmpty);
        Assert.False(ScopeSet.Empty.Allows("contacts", write: false));
        Assert.False(ScopeSet.Empty.Allows(null, write: false));
    }

    [Theory]
    [InlineData("*:rw", "contacts:rw", true)]
    [InlineData("*:rw", "*:r", true)]
    [InlineData("*:rw", "*:rw contacts:r", true)]
    [InlineData("*:r", "contacts:r", true)]
    [InlineData("*:r", "*:r", true)]
    [InlineData("*:r", "contacts:rw", false)]
    [InlineData("*:r", "*:rw", false)]
    [InlineData("contacts:rw", "contacts:r", true)]
    [InlineData("contacts:rw", "contacts:rw", true)]
    [InlineData("contacts:rw", "*:r", false)]
    [InlineData("contacts:r", "contacts:rw", false)]
    [InlineData("a:rw b:r", "a:r b:r", true)]
    [InlineData("a:rw b:r", "a:r c:r", false)]
    [InlineData("a:rw b:r", "b:rw", false)]
    [InlineData("*:r a:rw", "a:rw b:r", true)]
    public void Covers_is_true_only_when_every_requested_scope_is_granted(string granted, string requested, bool covers)
    {
        Assert.Equal(covers, Parse(granted).Covers(Parse(requested)));
    }
}
