using Microsoft.Extensions.Primitives;
using UnhostedStore.Authorization;

namespace UnhostedStore.Tests;

public class BearerTokenTests
{
    [Fact]
    public void No_authorization_header_is_absent()
    {
        Assert.Equal(BearerTokenStatus.Absent, BearerToken.Read(StringValues.Empty, out var token));
        Assert.Equal(string.Empty, token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    public void An_empty_or_whitespace_header_is_absent_like_no_header(string header)
    {
        Assert.True(BearerToken.IsBlank(new StringValues(header)));
        Assert.Equal(BearerTokenStatus.Absent, BearerToken.Read(new StringValues(header), out var token));
        Assert.Equal(string.Empty, token);
    }

    [Fact]
    public void Only_a_missing_or_blank_header_is_blank()
    {
        Assert.True(BearerToken.IsBlank(StringValues.Empty));
        Assert.False(BearerToken.IsBlank(new StringValues("Bearer abc")));
        Assert.False(BearerToken.IsBlank(new StringValues("Basic dXNlcjpwYXNz")));
        Assert.False(BearerToken.IsBlank(new StringValues(["", ""])));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Digest username=\"a\"")]
    [InlineData("Bearerabc")]
    public void Another_scheme_is_absent_not_malformed(string header)
    {
        Assert.Equal(BearerTokenStatus.Absent, BearerToken.Read(new StringValues(header), out var token));
        Assert.Equal(string.Empty, token);
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer abc", "abc")]
    [InlineData("BEARER abc", "abc")]
    [InlineData("Bearer   abc  ", "abc")]
    [InlineData("Bearer aZ09-._~+/", "aZ09-._~+/")]
    [InlineData("Bearer abc=", "abc=")]
    [InlineData("Bearer abc==", "abc==")]
    public void A_b64token_is_read(string header, string expected)
    {
        Assert.Equal(BearerTokenStatus.Present, BearerToken.Read(new StringValues(header), out var token));
        Assert.Equal(expected, token);
    }

    [Theory]
    [InlineData("Bearer ")]
    [InlineData("Bearer a b")]
    [InlineData("Bearer a%b")]
    [InlineData("Bearer \"abc\"")]
    [InlineData("Bearer abc,")]
    [InlineData("Bearer =abc")]
    [InlineData("Bearer ab=c")]
    [InlineData("Bearer ==")]
    [InlineData("Bearer a\tb")]
    [InlineData("Bearer \u00e9")]
    public void A_malformed_credential_is_malformed(string header)
    {
        Assert.Equal(BearerTokenStatus.Malformed, BearerToken.Read(new StringValues(header), out var token));
        Assert.Equal(string.Empty, token);
    }

    [Fact]
    public void Two_authorization_headers_are_malformed()
    {
        Assert.Equal(BearerTokenStatus.Malformed, BearerToken.Read(new StringValues(["Bearer a", "Bearer b"]), out _));
    }

    [Fact]
    public void A_token_longer_than_the_limit_is_malformed()
    {
        var atLimit = new string('t', BearerToken.MaxLength);
        Assert.Equal(BearerTokenStatus.Present, BearerToken.Read(new StringValues("Bearer " + atLimit), out var token));
        Assert.Equal(atLimit, token);
        Assert.Equal(BearerTokenStatus.Malformed, BearerToken.Read(new StringValues("Bearer " + atLimit + "t"), out _));
    }
}
