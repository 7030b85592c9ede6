using UnhostedStore.Authorization;

namespace UnhostedStore.Tests;

public class ScopeTests
{
    [Theory]
    [InlineData("contacts:r", "contacts", AccessLevel.Read)]
    [InlineData("contacts:rw", "contacts", AccessLevel.ReadWrite)]
    [InlineData("*:r", "*", AccessLevel.Read)]
    [InlineData("*:rw", "*", AccessLevel.ReadWrite)]
    [InlineData("My_Module-2:rw", "My_Module-2", AccessLevel.ReadWrite)]
    [InlineData("publics:r", "publics", AccessLevel.Read)]
    public void TryParse_reads_module_and_access_level(string text, string module, AccessLevel level)
    {
        Assert.True(Scope.TryParse(text, out var scope));
        Assert.Equal(module, scope.Module);
        Assert.Equal(level, scope.Level);
        Assert.Equal(level == AccessLevel.ReadWrite, scope.CanWrite);
        Assert.Equal(module == "*", scope.IsRoot);
        Assert.Equal(text, scope.ToString());
    }

    [Fact]
    public void TryParse_accepts_a_module_name_of_the_maximum_length()
    {
        var name = new string('m', Scope.MaxModuleLength);
        Assert.True(Scope.TryParse(name + ":r", out var scope));
        Assert.Equal(name, scope.Module);
    }

    [Theory]
    [InlineData("public:rw")]
    [InlineData("public:r")]
    [InlineData("a:x")]
    [InlineData("a:R")]
    [InlineData("a:RW")]
    [InlineData("a:rwx")]
    [InlineData("a:")]
    [InlineData(":r")]
    [InlineData(":rw")]
    [InlineData("contacts")]
    [InlineData("")]
    [InlineData("a:b:r")]
    [InlineData("a.b:r")]
    [InlineData("a/b:r")]
    [InlineData("a b:r")]
    [InlineData("**:r")]
    [InlineData("*a:rw")]
    [InlineData("caf\u00e9:r")]
    public void TryParse_rejects_invalid_scopes(string text)
    {
        Assert.False(Scope.TryParse(text, out var scope));
        Assert.Equal(default, scope);
    }

    [Fact]
    public void TryParse_rejects_a_module_name_longer_than_the_maximum()
    {
        Assert.False(Scope.TryParse(new string('m', Scope.MaxModuleLength + 1) + ":rw", out _));
    }
}
