using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class StoragePathTests
{
    private static StoragePath Parse(string encoded)
    {
        var result = StoragePath.TryParse(encoded, out var path);
        Assert.True(result.Success, $"'{encoded}' should parse: {result.Error}");
        Assert.Null(result.Error);
        return path!;
    }

    private static StoragePathParseResult Reject(string encoded)
    {
        var result = StoragePath.TryParse(encoded, out var path);
        Assert.False(result.Success, $"'{encoded}' should be rejected");
        Assert.Null(path);
        return result;
    }

    [Fact]
    public void Parse_decodes_unicode_names_once()
    {
        var result = StoragePath.TryParse("/pictures/Capture%20d%27%C3%A9cran.jpg", out var path);
        Assert.True(result.Success);
        Assert.Equal("/pictures/Capture d'écran.jpg", path!.Value);
    }

    [Fact]
    public void Parse_decodes_a_percent_sign_only_once()
    {
        Assert.Equal("/a/%41", Parse("/a/%2541").Value);
    }

    [Theory]
    [InlineData("/%E6%97%A5%E6%9C%AC/%F0%9F%98%80.txt", "/日本/😀.txt")]
    [InlineData("/caf%c3%a9/", "/café/")]
    [InlineData("/a%20b/c%2Bd", "/a b/c+d")]
    [InlineData("/a%3Fb%23c", "/a?b#c")]
    public void Parse_accepts_any_percent_encoded_unicode_name(string encoded, string decoded)
    {
        Assert.Equal(decoded, Parse(encoded).Value);
    }

    [Theory]
    [InlineData("/!()*~'")]
    [InlineData("/a/it's(1)!*~.txt")]
    [InlineData("/a/$&+,;=:@-._")]
    public void Parse_accepts_the_raw_characters_remotestorage_js_leaves_unencoded(string raw)
    {
        Assert.Equal(raw, Parse(raw).Value);
    }

    [Theory]
    [InlineData("/a//b")]
    [InlineData("//")]
    [InlineData("/a/b//")]
    public void Parse_rejects_empty_segments(string encoded)
    {
        Assert.Contains("empty", Reject(encoded).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/./a")]
    [InlineData("/a/..")]
    [InlineData("/a/../b")]
    [InlineData("/a/%2E%2E/b")]
    [InlineData("/a/%2e/")]
    [InlineData("/a/.%2E")]
    public void Parse_rejects_dot_and_dot_dot_names_encoded_or_not(string encoded)
    {
        Assert.Contains("'.'", Reject(encoded).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/a%2Fb")]
    [InlineData("/a%2fb/")]
    public void Parse_rejects_an_encoded_slash(string encoded)
    {
        Assert.Contains("%2F", Reject(encoded).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_nul()
    {
        Assert.Contains("NUL", Reject("/a%00b").Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/a%")]
    [InlineData("/a%4")]
    [InlineData("/a%G1")]
    [InlineData("/a%1G/b")]
    [InlineData("/%%41")]
    public void Parse_rejects_invalid_percent_encoding(string encoded)
    {
        Assert.Contains("percent", Reject(encoded).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/%FF")]
    [InlineData("/%C3")]
    [InlineData("/a%C3%28")]
    [InlineData("/%80abc")]
    [InlineData("/%ED%A0%80")]
    [InlineData("/%F4%90%80%80")]
    public void Parse_rejects_invalid_utf8(string encoded)
    {
        Assert.Contains("UTF-8", Reject(encoded).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/%C0%AF")]
    [InlineData("/%C0%AE%C0%AE")]
    [InlineData("/%E0%80%AE")]
    [InlineData("/%F0%80%80%AF")]
    public void Parse_rejects_overlong_utf8_so_no_slash_or_dot_can_sneak_through(string encoded)
    {
        Assert.Contains("UTF-8", Reject(encoded).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("/a b")]
    [InlineData("/a\\b")]
    [InlineData("/a\"b")]
    [InlineData("/é")]
    [InlineData("/a?b")]
    public void Parse_rejects_paths_without_a_leading_slash_or_with_raw_characters_outside_pchar(string encoded)
    {
        var result = Reject(encoded);
        Assert.False(result.IsTooLong);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void Parse_accepts_a_path_of_exactly_the_maximum_length()
    {
        var value = "/" + new string('a', StoragePath.MaxPathBytes - 1);
        Assert.Equal(value, Parse(value).Value);
    }

    [Fact]
    public void Parse_reports_a_path_one_byte_too_long_as_too_long()
    {
        var result = Reject("/" + new string('a', StoragePath.MaxPathBytes));
        Assert.True(result.IsTooLong);
    }

    [Fact]
    public void Parse_counts_the_length_in_decoded_utf8_bytes()
    {
        // 1 + 1023 * 2 = 2047 bytes fits; 1 + 1024 * 2 = 2049 does not.
        Assert.True(StoragePath.TryParse("/" + string.Concat(Enumerable.Repeat("%C3%A9", 1023)), out _).Success);
        Assert.True(StoragePath.TryParse("/" + string.Concat(Enumerable.Repeat("%C3%A9", 1024)), out _).IsTooLong);
    }

    [Fact]
    public void Root_is_a_folder_with_no_parent_name_ancestors_or_module()
    {
        var root = Parse("/");
        Assert.Equal(StoragePath.Root, root);
        Assert.True(root.IsRoot);
        Assert.True(root.IsFolder);
        Assert.False(root.IsDocument);
        Assert.Null(root.Parent);
        Assert.Equal(string.Empty, root.Name);
        Assert.Empty(root.Ancestors());
        Assert.Null(root.Module);
        Assert.Same(root, root.AsOtherKind());
    }

    [Theory]
    [InlineData("/a/b/c", "/a/b/")]
    [InlineData("/a/b/", "/a/")]
    [InlineData("/a", "/")]
    [InlineData("/a/", "/")]
    public void Parent_is_the_containing_folder(string path, string parent)
    {
        Assert.Equal(parent, Parse(path).Parent!.Value);
    }

    [Theory]
    [InlineData("/a/b", "b")]
    [InlineData("/a/b/", "b/")]
    [InlineData("/doc", "doc")]
    [InlineData("/%C3%A9t%C3%A9/x%20y", "x y")]
    public void Name_is_the_last_segment_with_a_slash_for_folders(string path, string name)
    {
        Assert.Equal(name, Parse(path).Name);
    }

    [Fact]
    public void Ancestors_run_from_the_root_down_to_the_direct_parent()
    {
        Assert.Equal(["/", "/a/", "/a/b/"], Parse("/a/b/c").Ancestors().Select(a => a.Value));
        Assert.Equal(["/", "/a/"], Parse("/a/b/").Ancestors().Select(a => a.Value));
        Assert.Equal(["/"], Parse("/a").Ancestors().Select(a => a.Value));
        Assert.All(Parse("/a/b/c").Ancestors(), a => Assert.True(a.IsFolder));
    }

    [Theory]
    [InlineData("/contacts/x", "contacts")]
    [InlineData("/contacts/", "contacts")]
    [InlineData("/contacts/a/b/", "contacts")]
    [InlineData("/public/contacts/x", "contacts")]
    [InlineData("/public/contacts/", "contacts")]
    [InlineData("/public/contacts/a/b", "contacts")]
    [InlineData("/publicity/x", "publicity")]
    [InlineData("/public/public/x", "public")]
    [InlineData("/", null)]
    [InlineData("/public/", null)]
    [InlineData("/doc", null)]
    [InlineData("/public", null)]
    [InlineData("/public/doc", null)]
    public void Module_is_the_first_segment_or_the_second_under_public(string path, string? module)
    {
        Assert.Equal(module, Parse(path).Module);
    }

    [Theory]
    [InlineData("/public/x", true)]
    [InlineData("/public/a/", true)]
    [InlineData("/public/a/b", true)]
    [InlineData("/public/", false)]
    [InlineData("/public", false)]
    [InlineData("/publicx/a", false)]
    [InlineData("/a/public/x", false)]
    [InlineData("/", false)]
    public void IsUnderPublic_is_true_only_strictly_below_the_public_folder(string path, bool under)
    {
        Assert.Equal(under, Parse(path).IsUnderPublic);
    }

    [Theory]
    [InlineData("/a/b", "/a/b/")]
    [InlineData("/a/b/", "/a/b")]
    [InlineData("/x", "/x/")]
    public void AsOtherKind_switches_between_document_and_folder_of_the_same_name(string path, string other)
    {
        var p = Parse(path);
        var o = p.AsOtherKind();
        Assert.Equal(other, o.Value);
        Assert.NotEqual(p.IsFolder, o.IsFolder);
        Assert.Equal(p.Parent, o.Parent);
        Assert.Equal(p.Ancestors().Select(a => a.Value), o.Ancestors().Select(a => a.Value));
        Assert.Equal(p, o.AsOtherKind());
    }

    [Fact]
    public void Paths_are_equal_by_ordinal_value()
    {
        Assert.Equal(Parse("/a/%C3%A9"), Parse("/a/%c3%a9"));
        Assert.Equal(Parse("/a/b").GetHashCode(), Parse("/a/b").GetHashCode());
        Assert.NotEqual(Parse("/a/B"), Parse("/a/b"));
        Assert.NotEqual(Parse("/a/b"), Parse("/a/b/"));
        Assert.Equal("/a/b", Parse("/a/b").ToString());
    }
}
