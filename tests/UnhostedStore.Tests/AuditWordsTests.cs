using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Shared;
using UnhostedStore.Persistence;

namespace UnhostedStore.Tests;

/// <summary>How audit events read: codes, categories, plain words, browsers, times and the
/// list's filters, without a database.</summary>
public class AuditWordsTests
{
    [Fact]
    public void Every_kind_has_a_unique_code_that_parses_back_and_fits_the_column()
    {
        var codes = AuditKinds.All.Select(AuditKinds.Code).ToList();
        Assert.Equal(Enum.GetValues<AuditKind>().Length, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(AuditKinds.All, k =>
        {
            Assert.True(AuditKinds.TryParse(AuditKinds.Code(k), out var back));
            Assert.Equal(k, back);
            Assert.InRange(AuditKinds.Code(k).Length, 1, AuditKinds.MaxCodeLength);
        });
        Assert.False(AuditKinds.TryParse("login.maybe", out _));
        Assert.Throws<InvalidOperationException>(() => AuditKinds.Parse("login.maybe"));
    }

    [Fact]
    public void Every_kind_is_in_exactly_one_category_and_has_its_own_plain_words()
    {
        foreach (var kind in AuditKinds.All)
        {
            Assert.Single(AuditWords.Categories, c => c.Kinds.Contains(kind));
            Assert.NotEqual(AuditKinds.Code(kind), AuditWords.Describe(kind));
        }

        Assert.Equal(AuditKinds.All.Count, AuditKinds.All.Select(AuditWords.Describe).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("Signed in with a passkey", AuditWords.Describe(AuditKind.LoginPasskey));
    }

    [Theory]
    [InlineData("login", 5)]
    [InlineData("apps", 4)]
    [InlineData("login.failed", 1)]
    [InlineData(" 2fa.enabled ", 1)]
    public void A_filter_names_a_category_or_one_kind(string filter, int count) =>
        Assert.Equal(count, AuditWords.KindsFor(filter)!.Count);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("login.")]
    [InlineData("LOGIN")]
    public void Anything_else_names_no_kind(string? filter) => Assert.Null(AuditWords.KindsFor(filter));

    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Windows")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iPhone")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome (headless) on Linux")]
    [InlineData("curl/8.5.0", "curl")]
    [InlineData("", "Unknown browser")]
    [InlineData(null, "Unknown browser")]
    public void A_user_agent_reads_as_a_short_browser_and_system_name(string? userAgent, string expected) =>
        Assert.Equal(expected, BrowserNames.Describe(userAgent));

    [Theory]
    [InlineData(0, "just now")]
    [InlineData(-120, "just now")]
    [InlineData(60, "1 minute ago")]
    [InlineData(59 * 60, "59 minutes ago")]
    [InlineData(3 * 3600, "3 hours ago")]
    [InlineData(30 * 3600, "yesterday")]
    [InlineData(5 * 86400, "5 days ago")]
    [InlineData(65 * 86400, "2 months ago")]
    [InlineData(800 * 86400, "2 years ago")]
    public void Times_read_relative_to_now(int secondsAgo, string expected)
    {
        var now = new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(expected, AuditWords.Ago(now.AddSeconds(-secondsAgo), now));
    }

    [Fact]
    public void Actors_read_as_people_would_say_them()
    {
        Assert.Equal("You", AuditWords.Actor("alice", "alice"));
        Assert.Equal("alice", AuditWords.Actor("alice", null));
        Assert.Equal("Administrator root", AuditWords.Actor("admin:root", "alice"));
        Assert.Equal("The server's operator (command line)", AuditWords.Actor(AuditActor.CommandLineName, "alice"));
        Assert.Equal("Someone not signed in", AuditWords.Actor(AuditActor.AnonymousName, "alice"));
    }

    [Fact]
    public void Clipping_keeps_a_bounded_single_line_and_no_half_surrogate()
    {
        Assert.Equal("a b", AuditTrail.Clip("a\nb", 10));
        Assert.Equal(5, AuditTrail.Clip(new string('x', 50), 5)!.Length);
        Assert.Equal("ab", AuditTrail.Clip("ab\U0001F600", 3));
        Assert.Null(AuditTrail.Clip(string.Empty, 5));
    }

    [Fact]
    public void The_lists_dates_are_whole_utc_days_with_both_ends_included()
    {
        var (filter, problem) = new AuditQuery("Alice", "login", "2026-12-01", "2026-12-03", 1).ToFilter(new AuditFilter());
        Assert.Null(problem);
        Assert.Equal("alice", filter!.UserName);
        Assert.Equal(5, filter.Kinds!.Count);
        Assert.Equal(new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), filter.FromUtc);
        Assert.Equal(new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc), filter.ToUtc);
        Assert.Equal(DateTimeKind.Utc, filter.FromUtc!.Value.Kind);
    }

    [Theory]
    [InlineData(null, "12/01/2026", null, "Write dates as year-month-day, for example 2026-12-05.")]
    [InlineData(null, "2026-12-03", "2026-12-01", "The first day is after the last one: swap them.")]
    [InlineData("nonsense", null, null, "Choose what to show from the list.")]
    public void Bad_filters_are_explained_in_plain_words(string? kind, string? from, string? to, string expected)
    {
        var (filter, problem) = new AuditQuery(null, kind, from, to, 1).ToFilter(new AuditFilter());
        Assert.Null(filter);
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void A_person_cannot_widen_their_own_list_to_other_accounts()
    {
        var (filter, _) = new AuditQuery("bob", null, null, null, 1).ToFilter(new AuditFilter(UserId: "id-of-alice"));
        Assert.Equal("id-of-alice", filter!.UserId);
    }

    [Fact]
    public void The_retention_setting_is_validated()
    {
        var validator = new AccountOptionsValidator();
        Assert.True(validator.Validate(new AccountOptions()).IsValid);
        Assert.Equal(180, new AccountOptions().AuditRetentionDays);
        Assert.False(validator.Validate(new AccountOptions { AuditRetentionDays = 0 }).IsValid);
        Assert.False(validator.Validate(new AccountOptions { AuditRetentionDays = 3651 }).IsValid);
        Assert.True(validator.Validate(new AccountOptions { AuditRetentionDays = 1 }).IsValid);
    }
}
