using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>
/// The account page at a glance: apps that open already pointed at the person's storage
/// (draft-26 §11, storage first), the usage bar against the quota with history and trash as
/// its own segment, and the per-module chart, both inline SVG with the right numbers.
/// </summary>
public abstract class AccountHomeTests(ServerFixture server)
{
    [Fact]
    public async Task Each_known_app_links_to_itself_with_the_storage_address_in_the_fragment()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var page = await browser.GetPageAsync("/account");

        var list = Html.Element(page, "id=\"known-apps\"", "</ul>")!;
        var address = $"{user}@{server.BaseAddress.Authority}";
        foreach (var url in new[] { "https://litewrite.net", "https://webmarks.5apps.com", "https://sharesome.5apps.com", "https://inspektor.5apps.com" })
        {
            Assert.Contains($"href=\"{url}#remotestorage={address}\"", list, StringComparison.Ordinal);
        }

        Assert.Contains("aria-label=\"Open Litewrite with your storage\"", list, StringComparison.Ordinal);
        Assert.Equal(4, CountOf(list, "class=\"known-app\""));
        Assert.Contains($"<span class=\"origin\" id=\"storage-address\">{address}</span>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_usage_bar_shows_documents_history_and_free_room_against_the_quota()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await StoreSampleAsync(user);
        await SetQuotaAsync(user, 10_000);

        var page = await browser.GetPageAsync("/account");

        var bar = Svg(page, "usage-bar");
        Assert.Contains("role=\"img\"", bar, StringComparison.Ordinal);
        var summary = "4.6 KB of 9.8 KB used: 3.6 KB documents, 1,000 bytes history and trash, 5.2 KB free.";
        Assert.Equal(summary, Html.Attribute(bar, "aria-label"));
        Assert.Contains($"<title>{summary}</title>", bar, StringComparison.Ordinal);
        Assert.Equal("3710", Html.Attribute(bar, "data-used"));
        Assert.Equal("1000", Html.Attribute(bar, "data-history"));
        Assert.Equal("10000", Html.Attribute(bar, "data-quota"));

        // 400 units wide for the 10,000-byte quota.
        var data = Html.Element(bar, "class=\"seg seg-data\"", "/>")!;
        Assert.Equal("0", Html.Attribute(data, "x"));
        Assert.Equal("148.4", Html.Attribute(data, "width"));
        Assert.Equal("3710", Html.Attribute(data, "data-bytes"));
        var history = Html.Element(bar, "class=\"seg seg-history\"", "/>")!;
        Assert.Equal("148.4", Html.Attribute(history, "x"));
        Assert.Equal("40", Html.Attribute(history, "width"));
        Assert.Equal("1000", Html.Attribute(history, "data-bytes"));
        Assert.Contains(">Documents: 3.6 KB</text>", bar, StringComparison.Ordinal);
        Assert.Contains(">History and trash: 1,000 bytes</text>", bar, StringComparison.Ordinal);
        Assert.Contains(">Free: 5.2 KB</text>", bar, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", bar, StringComparison.Ordinal);

        // The words stay beside the picture.
        Assert.Contains("4.6 KB used, of which 1,000 bytes is history and trash", Html.Element(page, "id=\"usage-history\"", "</p>"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_quota_the_bar_splits_what_is_used_and_says_there_is_no_limit()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await StoreSampleAsync(user);
        await SetQuotaAsync(user, 0);

        var bar = Svg(await browser.GetPageAsync("/account"), "usage-bar");

        Assert.Equal("4.6 KB used, no limit: 3.6 KB documents, 1,000 bytes history and trash.", Html.Attribute(bar, "aria-label"));
        Assert.Equal("315.07", Html.Attribute(Html.Element(bar, "class=\"seg seg-data\"", "/>")!, "width"));
        var history = Html.Element(bar, "class=\"seg seg-history\"", "/>")!;
        Assert.Equal("315.07", Html.Attribute(history, "x"));
        Assert.Equal("84.93", Html.Attribute(history, "width"));
        Assert.Contains(">No limit</text>", bar, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_module_chart_draws_each_module_against_the_largest_with_its_size_and_share()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        await StoreSampleAsync(user);

        var chart = Svg(await browser.GetPageAsync("/account"), "module-chart");

        Assert.Contains("role=\"img\"", chart, StringComparison.Ordinal);
        var summary = "Storage used per module: photos 2.9 KB (81%), notes 700 bytes (19%), (top level) 10 bytes (under 1%).";
        Assert.Equal(summary, Html.Attribute(chart, "aria-label"));
        Assert.Contains($"<title>{summary}</title>", chart, StringComparison.Ordinal);
        AssertBar(chart, "photos", 3000, "400", "photos", "2.9 KB (81%)");
        AssertBar(chart, "notes", 700, "93.33", "notes", "700 bytes (19%)");
        AssertBar(chart, string.Empty, 10, "1.33", "(top level)", "10 bytes (under 1%)");

        // Largest first.
        Assert.True(chart.IndexOf("data-chart-module=\"photos\"", StringComparison.Ordinal) < chart.IndexOf("data-chart-module=\"notes\"", StringComparison.Ordinal));
        Assert.DoesNotContain("style=", chart, StringComparison.Ordinal);
    }

    /// <summary>notes: 700 bytes in 2 documents (a 1,000-byte version replaced: history),
    /// photos: 3,000, the top level: 10; 3,710 bytes of documents in all.</summary>
    private async Task StoreSampleAsync(string user)
    {
        var token = server.Tokens.Issue(user, "*:rw");
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/a", 1000));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/notes/b", 500));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/photos/p", 3000));
        Assert.Equal(HttpStatusCode.Created, await PutAsync(server, user, token, "/toplevel", 10));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(server, user, token, "/notes/a", 200));
    }

    private static void AssertBar(string chart, string module, long bytes, string width, string label, string size)
    {
        var group = Html.Element(chart, $"data-chart-module=\"{module}\"", "</g>");
        Assert.True(group is not null, $"no bar for module '{module}'");
        Assert.Equal(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), Html.Attribute(group, "data-bytes"));
        Assert.Equal(width, Html.Attribute(Html.Element(group, "class=\"seg seg-data\"", "/>")!, "width"));
        Assert.Contains($">{System.Net.WebUtility.HtmlEncode(label)}</text>", group, StringComparison.Ordinal);
        Assert.Contains($">{size}</text>", group, StringComparison.Ordinal);
    }

    private static string Svg(string page, string id)
    {
        var svg = Html.Element(page, $"id=\"{id}\"", "</svg>");
        Assert.True(svg is not null, $"no svg #{id} on the page:\n{page}");
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        return svg;
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task SetQuotaAsync(string user, long? bytes)
    {
        using var scope = server.Services.CreateScope();
        await UnhostedStore.Accounts.UserLock.SetQuotaAsync(scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>(), user, bytes, CancellationToken.None);
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch; the storage contract classes cover all
// three combinations.
public sealed class AccountHomeTests_Sqlite(SqliteServerFixture server) : AccountHomeTests(server), IClassFixture<SqliteServerFixture>;

public sealed class AccountHomeTests_PostgresS3(PostgresS3ServerFixture server) : AccountHomeTests(server), IClassFixture<PostgresS3ServerFixture>;

/// <summary>A server whose operator chose the apps (<c>Accounts:Apps</c>).</summary>
public sealed class ConfiguredAppsFixture() : ServerFixture(Backend.SqliteFileSystem)
{
    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Accounts:Apps:0:Name", "Notebook");
        builder.UseSetting("Accounts:Apps:0:Url", "https://notebook.example/app/?lang=en");
        builder.UseSetting("Accounts:Apps:0:Description", "Notes & lists");
        builder.UseSetting("Accounts:Apps:1:Name", "Tasks");
        builder.UseSetting("Accounts:Apps:1:Url", "https://tasks.example");
    }
}

public sealed class ConfiguredAppsTests(ConfiguredAppsFixture server) : IClassFixture<ConfiguredAppsFixture>
{
    [Fact]
    public async Task The_configured_apps_replace_the_default_ones_and_keep_their_own_url()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var list = Html.Element(await browser.GetPageAsync("/account"), "id=\"known-apps\"", "</ul>")!;

        var address = $"{user}@{server.BaseAddress.Authority}";
        Assert.Contains($"href=\"https://notebook.example/app/?lang=en#remotestorage={address}\"", list, StringComparison.Ordinal);
        Assert.Contains($"href=\"https://tasks.example#remotestorage={address}\"", list, StringComparison.Ordinal);
        Assert.Contains("Notes &amp; lists", list, StringComparison.Ordinal);
        Assert.DoesNotContain("litewrite", list, StringComparison.Ordinal);
    }
}
