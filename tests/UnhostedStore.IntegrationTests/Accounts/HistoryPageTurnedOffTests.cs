using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;
using static UnhostedStore.IntegrationTests.Accounts.AccountTestHelpers;
using static UnhostedStore.IntegrationTests.Accounts.HistoryPageHelpers;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>A server that keeps no history (<c>Storage:VersionRetentionDays</c> 0).</summary>
public sealed class HistoryOffSqliteFixture() : ServerFixture(Backend.SqliteFileSystem)
{
    protected override void ConfigureSettings(IWebHostBuilder builder) => builder.UseSetting("Storage:VersionRetentionDays", "0");
}

public sealed class HistoryPageTurnedOffTests(HistoryOffSqliteFixture server) : IClassFixture<HistoryOffSqliteFixture>
{
    [Fact]
    public async Task With_history_turned_off_the_pages_say_so_and_nothing_lands_in_the_trash()
    {
        var (user, browser) = await LoggedInUserAsync(server);
        using var _ = browser;
        var token = await server.Tokens.IssueAsync(user, "notes:rw");
        await PutTextAsync(server, user, token, "/notes/a.txt", "soon gone");
        await AppDeleteAsync(server, user, token, "/notes/a.txt");

        var trash = await browser.GetPageAsync("/account/history");
        Assert.Contains("History is turned off on this server", trash, StringComparison.Ordinal);
        Assert.Contains("id=\"trash-empty\"", trash, StringComparison.Ordinal);
        Assert.DoesNotContain("kept here for", trash, StringComparison.Ordinal);

        var restore = await browser.GetPageAsync("/account/history/restore");
        Assert.Contains("id=\"history-off\"", restore, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"restore-form\"", restore, StringComparison.Ordinal);
        await using var scope = server.CreateScope();
        Assert.False(await ServerFixture.Db(scope).DocumentVersions.AnyAsync(v => v.Owner == user));
    }
}
