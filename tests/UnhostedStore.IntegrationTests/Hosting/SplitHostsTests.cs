using System.Net;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>
/// Hosting:StorageHost / Hosting:AccountHost (R77, draft-26 §14): the storage origin serves
/// storage and nothing else; the pages and OAuth live on the account host; WebFinger on both.
/// </summary>
public abstract class SplitHostsTests(SplitHostsFixture server)
{
    private const string Storage = SplitHostsFixture.StorageHost;
    private const string Account = SplitHostsFixture.AccountHost;

    [Fact]
    public async Task Storage_answers_on_the_storage_host_and_is_404_on_the_account_host()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        Assert.Equal(HttpStatusCode.Created, await AccountTestHelpers.PutAsync(server, user, token, "/notes/a", 3, Storage));
        Assert.Equal(HttpStatusCode.OK, await AccountTestHelpers.GetAsync(server, user, token, "/notes/a", Storage));
        Assert.Equal(HttpStatusCode.NotFound, await AccountTestHelpers.GetAsync(server, user, token, "/notes/a", Account));
        Assert.Equal(HttpStatusCode.NotFound, await AccountTestHelpers.PutAsync(server, user, token, "/notes/b", 3, Account));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/index.html")]
    [InlineData("/storagex")]
    [InlineData("/admin")]
    [InlineData("/login")]
    [InlineData("/logout")]
    [InlineData("/account")]
    [InlineData("/account/password")]
    [InlineData("/signup")]
    [InlineData("/setup")]
    [InlineData("/oauth/authorize")]
    [InlineData("/oauth/authorize?client_id=https%3A%2F%2Fapp.example&redirect_uri=https%3A%2F%2Fapp.example%2F&response_type=token&scope=notes%3Arw")]
    [InlineData("/css/site.css")]
    public async Task Nothing_but_storage_is_served_on_the_storage_origin(string path)
    {
        using var browser = new Browser(server, Storage);
        using var response = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_oauth_token_endpoint_is_404_on_the_storage_host()
    {
        using var browser = new Browser(server, Storage);
        using var response = await browser.PostAsync("/oauth/token", [new("grant_type", "authorization_code"), new("code", "x")]);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_login_consent_and_account_pages_answer_on_the_account_host()
    {
        var (user, browser) = await AccountTestHelpers.LoggedInUserAsync(server, host: Account);
        using var _ = browser;
        var page = await browser.GetPageAsync("/account");
        Assert.Contains($"{user}@{Account}", page, StringComparison.Ordinal);
        var consent = await browser.GetPageAsync("/oauth/authorize?client_id=https%3A%2F%2Fapp.example&redirect_uri=https%3A%2F%2Fapp.example%2F&response_type=token&scope=notes%3Arw&state=s");
        Assert.Contains("id=\"allow\"", consent, StringComparison.Ordinal);
        await browser.GetPageAsync("/css/site.css");
    }

    [Theory]
    [InlineData(Storage)]
    [InlineData(Account)]
    public async Task WebFinger_answers_on_both_hosts_with_storage_on_the_storage_host_and_oauth_on_the_account_host(string host)
    {
        var user = ServerFixture.NewUser();
        server.Tokens.Issue(user, "notes:r");
        using var browser = new Browser(server, host);
        using var response = await browser.GetAsync($"/.well-known/webfinger?resource=acct:{user}@{host}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var link = json.RootElement.GetProperty("links")[0];
        Assert.Equal($"http://{Storage}/storage/{user}", link.GetProperty("href").GetString());
        var properties = link.GetProperty("properties");
        Assert.Equal($"http://{Account}/oauth/authorize", properties.GetProperty("http://tools.ietf.org/html/rfc6749#section-4.2").GetString());
        Assert.Equal($"http://{Account}/oauth/token", properties.GetProperty("http://tools.ietf.org/html/rfc6749#section-3.2").GetString());
    }
}

public sealed class SplitHostsTests_Sqlite(SplitHostsSqliteFixture server) : SplitHostsTests(server), IClassFixture<SplitHostsSqliteFixture>;

public sealed class SplitHostsTests_Postgres(SplitHostsPostgresFixture server) : SplitHostsTests(server), IClassFixture<SplitHostsPostgresFixture>;
