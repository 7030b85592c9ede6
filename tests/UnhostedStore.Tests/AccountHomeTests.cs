using UnhostedStore.Accounts;
using UnhostedStore.Pages.Account;

namespace UnhostedStore.Tests;

public class AccountHomeTests
{
    [Theory]
    [InlineData("alice@storage.example", "alice@storage.example")]
    [InlineData("alice@127.0.0.1:5000", "alice@127.0.0.1:5000")]
    [InlineData("a.b_c-d~e@host", "a.b_c-d~e@host")]
    [InlineData("x&y=z#w@host", "x%26y%3Dz%23w@host")]
    [InlineData("bob@bücher.example", "bob@b%C3%BCcher.example")]
    [InlineData("c@[::1]:8080", "c@%5B::1%5D:8080")]
    public void The_address_goes_into_the_fragment_percent_encoded_but_for_colons_and_at_signs(string address, string encoded) =>
        Assert.Equal(encoded, StorageFirstLinks.Encode(address));

    [Fact]
    public void A_link_is_the_apps_url_with_the_remotestorage_fragment() =>
        Assert.Equal("https://litewrite.net#remotestorage=alice@storage.example", StorageFirstLinks.Link("https://litewrite.net", "alice@storage.example"));

    [Theory]
    [InlineData("https://litewrite.net", true)]
    [InlineData("https://app.example/path/?q=1", true)]
    [InlineData("http://litewrite.net", false)]
    [InlineData("litewrite.net", false)]
    [InlineData("/relative", false)]
    [InlineData("https://app.example/#already", false)]
    [InlineData("https://user:pw@app.example", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("", false)]
    public void Only_absolute_https_urls_without_a_fragment_are_accepted(string url, bool valid)
    {
        var options = new AccountOptions { Apps = [new KnownApp { Name = "App", Url = url }] };
        var result = new AccountOptionsValidator().Validate(options);
        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Contains(result.Errors, e => e.ErrorMessage.StartsWith("Accounts:Apps: the Url of App must be an absolute https URL", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void An_app_without_a_name_is_refused_at_start()
    {
        var options = new AccountOptions { Apps = [new KnownApp { Name = " ", Url = "https://app.example" }] };
        Assert.Contains(new AccountOptionsValidator().Validate(options).Errors, e => e.ErrorMessage == "Accounts:Apps: every app needs a Name of at most 60 characters.");
    }

    [Fact]
    public void Without_configured_apps_the_defaults_are_listed_all_https_and_valid()
    {
        var options = new AccountOptions();
        Assert.Same(AccountOptions.DefaultApps, options.ListedApps);
        Assert.Equal(["Litewrite", "Webmarks", "Sharesome", "Inspektor"], options.ListedApps.Select(a => a.Name));
        Assert.All(options.ListedApps, a => Assert.True(AccountOptionsValidator.IsAppUrl(a.Url), a.Url));
        Assert.True(new AccountOptionsValidator().Validate(new AccountOptions { Apps = [.. AccountOptions.DefaultApps] }).IsValid);
        Assert.Empty(new AccountOptions { ShowApps = false }.ListedApps);
        var own = new KnownApp { Name = "Own", Url = "https://own.example" };
        Assert.Equal([own], new AccountOptions { Apps = [own] }.ListedApps);
    }

    [Fact]
    public void The_module_chart_keeps_the_seven_largest_and_sums_the_rest_into_one_row()
    {
        var modules = Enumerable.Range(1, 10).Select(i => new IndexModel.ModuleRow("m" + i, i * 100, 1)).ToList();
        var rows = UsageCharts.Rows(modules);
        Assert.Equal(UsageCharts.MaxModuleRows, rows.Count);
        Assert.Equal(["m10", "m9", "m8", "m7", "m6", "m5", "m4"], rows.Take(7).Select(r => r.Module));
        Assert.Equal(("*other*", "3 other modules", 600L), rows[7]);
        Assert.Equal(8, UsageCharts.Rows(modules.Take(8).ToList()).Count);
        Assert.DoesNotContain(UsageCharts.Rows(modules.Take(8).ToList()), r => r.Module == "*other*");
    }

    [Theory]
    [InlineData(0, 100, "0%")]
    [InlineData(1, 1000, "under 1%")]
    [InlineData(5, 1000, "under 1%")]
    [InlineData(10, 1000, "1%")]
    [InlineData(14, 1000, "1%")]
    [InlineData(15, 1000, "2%")]
    [InlineData(1, 3, "33%")]
    [InlineData(2, 3, "67%")]
    [InlineData(5, 0, "0%")]
    public void Shares_are_whole_percent_and_never_a_misleading_zero(long part, long total, string share) =>
        Assert.Equal(share, UsageCharts.Share(part, total));

    [Fact]
    public void Over_the_quota_the_bar_scales_to_what_is_used_and_marks_the_limit()
    {
        var svg = UsageCharts.QuotaBar(1500, 500, 1000).ToString()!;
        Assert.Contains("over the limit", svg, StringComparison.Ordinal);
        Assert.Contains("<line class=\"quota-line\" x1=\"200\"", svg, StringComparison.Ordinal);
        Assert.Contains("class=\"seg seg-data\" x=\"0\" y=\"0\" width=\"300\"", svg, StringComparison.Ordinal);
        Assert.Contains("class=\"seg seg-history\" x=\"300\" y=\"0\" width=\"100\"", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("style", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_storage_draws_an_empty_bar_and_names_with_markup_are_escaped()
    {
        var bar = UsageCharts.QuotaBar(0, 0, 0).ToString()!;
        Assert.Contains("aria-label=\"0 bytes used, no limit: 0 bytes documents, 0 bytes history and trash.\"", bar, StringComparison.Ordinal);
        Assert.Contains("width=\"0\"", bar, StringComparison.Ordinal);

        var chart = UsageCharts.ModuleChart([new IndexModel.ModuleRow("<b>", 10, 1)]).ToString()!;
        Assert.Contains("data-chart-module=\"&lt;b&gt;\"", chart, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", chart, StringComparison.Ordinal);
    }
}
