using UnhostedStore.Authorization;

namespace UnhostedStore.Tests;

public class AppPasswordRequestTests
{
    private static readonly AppPasswordRequestValidator Validator = new();

    private static Dictionary<string, string> Errors(string? name, string? scopes, int? days) =>
        Validator.Validate(new AppPasswordRequest(name, scopes, days)).Errors
            .GroupBy(e => e.PropertyName)
            .ToDictionary(g => g.Key, g => g.First().ErrorMessage);

    [Theory]
    [InlineData("Backup", "notes:rw", 30)]
    [InlineData("  Laptop backup  ", "notes:r contacts:rw", 90)]
    [InlineData("rclone", "*:rw", 365)]
    [InlineData("CLI", "notes:r,notes:rw", 0)]
    public void A_name_scopes_and_an_offered_lifetime_are_valid(string name, string scopes, int days) =>
        Assert.Empty(Errors(name, scopes, days));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t ")]
    public void A_missing_name_asks_for_one(string? name) =>
        Assert.Equal("Give the app password a name, for example the program that will use it.", Errors(name, "notes:rw", 30)["Name"]);

    [Fact]
    public void A_name_over_64_characters_or_with_a_line_break_is_refused()
    {
        Assert.Empty(Errors(new string('n', 64), "notes:rw", 30));
        Assert.Equal("The name can be at most 64 characters long.", Errors(new string('n', 65), "notes:rw", 30)["Name"]);
        Assert.Equal("The name can't contain line breaks or other control characters.", Errors("two\nlines", "notes:rw", 30)["Name"]);
    }

    [Theory]
    [InlineData("notes:write", "notes:write")]
    [InlineData("notes:rw public:r", "public:r")]
    [InlineData("notes", "notes")]
    [InlineData("notes:rw no/slash:r", "no/slash:r")]
    [InlineData(":rw", ":rw")]
    public void A_scope_outside_the_grammar_is_named_in_the_message(string scopes, string bad)
    {
        var message = Errors("x", scopes, 30)["Scopes"];
        Assert.StartsWith($"\"{bad}\" is not a module and access.", message, StringComparison.Ordinal);
        Assert.Contains("module:r (read only) or module:rw (read and write)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_or_overlong_scopes_are_refused()
    {
        Assert.Equal("Say what the app password may use, for example notes:rw.", Errors("x", "  ", 30)["Scopes"]);
        Assert.Equal("Say what the app password may use, for example notes:rw.", Errors("x", null, 30)["Scopes"]);
        var many = string.Join(' ', Enumerable.Range(0, 200).Select(i => $"m{i}:rw"));
        Assert.StartsWith("The list of modules is too long: at most 1000 characters", Errors("x", many, 30)["Scopes"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(3650)]
    public void Only_the_offered_lifetimes_are_accepted(int? days) =>
        Assert.Equal("Choose how long the app password works: 30 days, 90 days, 1 year or until you revoke it.", Errors("x", "notes:rw", days)["ExpiresDays"]);

    [Fact]
    public void The_lifetimes_read_as_words() =>
        Assert.Equal(["30 days", "90 days", "1 year", "Until I revoke it"], AppPasswords.ExpiryChoices.Select(AppPasswords.DescribeExpiry));
}
