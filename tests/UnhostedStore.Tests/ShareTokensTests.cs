using System.Security.Cryptography;
using System.Text;
using UnhostedStore.Sharing;

namespace UnhostedStore.Tests;

/// <summary>The secret of a share URL and what is stored of it.</summary>
public class ShareTokensTests
{
    [Fact]
    public void A_token_is_256_random_bits_as_43_base64url_characters_and_never_repeats()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => ShareTokens.New()).ToList();
        Assert.All(tokens, t =>
        {
            Assert.Equal(43, t.Length);
            Assert.True(ShareTokens.LooksLikeToken(t), t);
            var bytes = Convert.FromBase64String(t.Replace('-', '+').Replace('_', '/') + "=");
            Assert.Equal(32, bytes.Length);
        });
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());

        // Every base64url character shows up across 1000 tokens: nothing is left unused.
        Assert.Equal(64, tokens.SelectMany(t => t[..^1]).Distinct().Count());
    }

    [Fact]
    public void Only_the_lower_case_hex_sha256_of_the_token_is_stored()
    {
        var token = ShareTokens.New();
        var hash = ShareTokens.Hash(token);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token))), hash);
        Assert.Equal(64, hash.Length);
        Assert.DoesNotContain(token, hash, StringComparison.Ordinal);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ShareTokens.Hash(string.Empty));
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.")]
    public void Anything_without_a_tokens_shape_is_refused_before_any_lookup(string text)
    {
        Assert.False(ShareTokens.LooksLikeToken(text));
    }

    [Fact]
    public void A_link_id_is_16_lower_case_hex_digits()
    {
        var id = ShareTokens.NewId();
        Assert.True(ShareTokens.LooksLikeId(id));
        Assert.False(ShareTokens.LooksLikeId("0123456789ABCDEF"));
        Assert.False(ShareTokens.LooksLikeId(ShareTokens.New()));
        Assert.False(ShareTokens.LooksLikeId("0123456789abcdeg"));
    }
}
