using Microsoft.Extensions.Primitives;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class ContentTypesTests
{
    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("image/jpeg; charset=binary")]
    [InlineData("text/plain;charset=utf-8")]
    [InlineData("application/vnd.api+json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("text/plain; a=b; c=d")]
    [InlineData("multipart/form-data; boundary=\"a b;c=d\"")]
    [InlineData("text/plain; title=\"with \\\"escaped\\\" quotes\"")]
    [InlineData("text/plain; empty=\"\"")]
    [InlineData(" text/plain ")]
    [InlineData("text/plain\t;\tcharset=utf-8")]
    [InlineData("text/plain;")]
    [InlineData("*/*")]
    public void Valid_media_types_with_parameters_and_quoted_strings_are_accepted(string value)
    {
        Assert.True(ContentTypes.IsValid(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("text")]
    [InlineData("text/")]
    [InlineData("/plain")]
    [InlineData("text /plain")]
    [InlineData("text/ plain")]
    [InlineData("text/plain/x")]
    [InlineData("text/pl@in")]
    [InlineData("text/plain charset=utf-8")]
    [InlineData("text/plain; charset")]
    [InlineData("text/plain; charset=")]
    [InlineData("text/plain; =utf-8")]
    [InlineData("text/plain; a=b c")]
    [InlineData("text/plain; a=\"unterminated")]
    [InlineData("text/plain; a=\"ends in backslash\\")]
    [InlineData("text/plain; a=\"ctl\u0001\"")]
    [InlineData("text/plain; a=\"\u20ac\"")]
    [InlineData("text/plain, text/html")]
    [InlineData("t\u00e9xt/plain")]
    public void Malformed_media_types_are_rejected(string value)
    {
        Assert.False(ContentTypes.IsValid(value));
    }

    [Fact]
    public void TryValidate_returns_the_header_exactly_as_received()
    {
        const string value = "Application/JSON ;  Charset=\"UTF-8\"";
        Assert.True(ContentTypes.TryValidate(new StringValues(value), out var contentType, out var error));
        Assert.Same(value, contentType);
        Assert.Null(error);
    }

    public static TheoryData<string[]> MissingRepeatedOrInvalid => new()
    {
        Array.Empty<string>(),
        new[] { string.Empty },
        new[] { "   " },
        new[] { "text/plain", "text/html" },
        new[] { "text" },
    };

    [Theory]
    [MemberData(nameof(MissingRepeatedOrInvalid))]
    public void TryValidate_rejects_a_missing_repeated_or_invalid_header(string[] values)
    {
        Assert.False(ContentTypes.TryValidate(new StringValues(values), out var contentType, out var error));
        Assert.Null(contentType);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryValidate_rejects_a_header_longer_than_the_limit()
    {
        var atLimit = "text/plain; p=" + new string('x', ContentTypes.MaxLength - "text/plain; p=".Length);
        Assert.True(ContentTypes.TryValidate(new StringValues(atLimit), out _, out _));
        Assert.False(ContentTypes.TryValidate(new StringValues(atLimit + "x"), out _, out var error));
        Assert.Contains("too long", error, StringComparison.Ordinal);
    }
}
