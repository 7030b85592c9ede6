using System.Net;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.OAuth;

/// <summary>WebFinger discovery (draft-26 §10, §12.1; RFC 7033): R1–R8, R21, R22.</summary>
public abstract class WebFingerTests(ServerFixture server)
{
    public const string Rel = "http://tools.ietf.org/id/draft-dejong-remotestorage";

    private string Host => server.BaseAddress.Authority;

    [Fact]
    public async Task A_known_user_gets_exactly_one_remotestorage_link()
    {
        var user = await KnownUserAsync();
        using var json = await WebFingerJsonAsync($"acct:{user}@{Host}");
        var links = json.RootElement.GetProperty("links").EnumerateArray().ToList();
        Assert.Single(links, l => l.GetProperty("rel").GetString() == Rel);
    }

    [Fact]
    public async Task The_href_is_the_storage_root_on_the_requested_origin_without_a_trailing_slash()
    {
        var user = await KnownUserAsync();
        var link = await LinkAsync(user);
        var href = link.GetProperty("href").GetString()!;
        Assert.Equal($"{server.BaseAddress.Scheme}://{Host}/storage/{user}", href);
        Assert.False(href.EndsWith('/'));
    }

    [Fact]
    public async Task The_href_uses_the_scheme_and_host_forwarded_by_a_loopback_proxy()
    {
        var user = await KnownUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/webfinger?resource=" + Uri.EscapeDataString($"acct:{user}@rs.proxied.example"));
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "rs.proxied.example");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var link = json.RootElement.GetProperty("links")[0];
        Assert.Equal($"https://rs.proxied.example/storage/{user}", link.GetProperty("href").GetString());
        Assert.Equal("https://rs.proxied.example/oauth/authorize", link.GetProperty("properties").GetProperty("http://tools.ietf.org/html/rfc6749#section-4.2").GetString());
    }

    [Fact]
    public async Task The_version_property_is_draft_26()
    {
        var props = (await LinkAsync(await KnownUserAsync())).GetProperty("properties");
        Assert.Equal("draft-dejong-remotestorage-26", props.GetProperty("http://remotestorage.io/spec/version").GetString());
    }

    [Fact]
    public async Task The_auth_dialog_property_is_the_authorize_endpoint()
    {
        var props = (await LinkAsync(await KnownUserAsync())).GetProperty("properties");
        Assert.Equal($"{server.BaseAddress.Scheme}://{Host}/oauth/authorize", props.GetProperty("http://tools.ietf.org/html/rfc6749#section-4.2").GetString());
    }

    [Fact]
    public async Task Optional_properties_say_no_query_tokens_get_ranges_and_no_web_authoring()
    {
        var props = (await LinkAsync(await KnownUserAsync())).GetProperty("properties");
        Assert.Equal(JsonValueKind.Null, props.GetProperty("http://tools.ietf.org/html/rfc6750#section-2.3").ValueKind);
        Assert.Equal("GET", props.GetProperty("http://tools.ietf.org/html/rfc7233").GetString());
        Assert.Equal(JsonValueKind.Null, props.GetProperty("http://remotestorage.io/spec/web-authoring").ValueKind);
    }

    [Fact]
    public async Task The_pkce_properties_name_the_authorize_and_token_endpoints_and_s256_only()
    {
        var props = (await LinkAsync(await KnownUserAsync())).GetProperty("properties");
        var origin = $"{server.BaseAddress.Scheme}://{Host}";
        Assert.Equal(origin + "/oauth/authorize", props.GetProperty("http://tools.ietf.org/html/rfc6749#section-3.1").GetString());
        Assert.Equal(origin + "/oauth/token", props.GetProperty("http://tools.ietf.org/html/rfc6749#section-3.2").GetString());
        Assert.Equal("S256", props.GetProperty("http://tools.ietf.org/html/rfc7636").GetString());
    }

    [Fact]
    public async Task Every_property_value_is_a_string_or_null()
    {
        var props = (await LinkAsync(await KnownUserAsync())).GetProperty("properties");
        var values = props.EnumerateObject().ToList();
        Assert.Equal(9, values.Count);
        Assert.All(values, p => Assert.True(p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null, p.Name + " is " + p.Value.ValueKind));
    }

    [Fact]
    public async Task The_answer_is_jrd_json_readable_from_any_origin()
    {
        var user = await KnownUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/webfinger?resource=" + Uri.EscapeDataString($"acct:{user}@{Host}"));
        request.Headers.TryAddWithoutValidation("Origin", "https://app.example");
        request.Headers.TryAddWithoutValidation("Accept", "application/jrd+json, application/json");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jrd+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task Errors_are_readable_from_any_origin_too()
    {
        using var response = await server.Client.GetAsync("/.well-known/webfinger?resource=acct:nobody-here@" + Host);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task A_request_without_resource_is_400()
    {
        using var response = await server.Client.GetAsync("/.well-known/webfinger");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_request_with_two_resources_is_400()
    {
        var user = await KnownUserAsync();
        using var response = await server.Client.GetAsync($"/.well-known/webfinger?resource=acct:{user}@{Host}&resource=acct:{user}@{Host}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_user_is_404()
    {
        using var response = await server.Client.GetAsync($"/.well-known/webfinger?resource=acct:{ServerFixture.NewUser()}@{Host}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_unencoded_acct_resource_with_a_port_is_understood()
    {
        var user = await KnownUserAsync();
        var response = await RawHttp.SendAsync(server.BaseAddress,
            $"GET /.well-known/webfinger?resource=acct:{user}@127.0.0.1:{server.BaseAddress.Port} HTTP/1.1\r\nHost: {Host}\r\nAccept: application/jrd+json, application/json\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, response.Status);
        using var json = JsonDocument.Parse(response.BodyText);
        Assert.Equal($"acct:{user}@127.0.0.1:{server.BaseAddress.Port}", json.RootElement.GetProperty("subject").GetString());
        Assert.EndsWith("/storage/" + user, json.RootElement.GetProperty("links")[0].GetProperty("href").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_url_resource_as_rs_js_sends_for_a_bare_domain_is_answered_404()
    {
        var response = await RawHttp.SendAsync(server.BaseAddress,
            $"GET /.well-known/webfinger?resource=https://{Host} HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n");
        Assert.Equal(404, response.Status);
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
    }

    private async Task<string> KnownUserAsync()
    {
        var user = ServerFixture.NewUser();
        await OAuthBrowser.CreateUserAsync(server, user);
        return user;
    }

    private async Task<JsonDocument> WebFingerJsonAsync(string resource)
    {
        using var response = await server.Client.GetAsync("/.well-known/webfinger?resource=" + Uri.EscapeDataString(resource));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body);
    }

    private async Task<JsonElement> LinkAsync(string user)
    {
        using var json = await WebFingerJsonAsync($"acct:{user}@{Host}");
        return json.RootElement.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == Rel).Clone();
    }
}

public sealed class WebFingerTests_Sqlite(SqliteServerFixture server) : WebFingerTests(server), IClassFixture<SqliteServerFixture>;

public sealed class WebFingerTests_Postgres(PostgresServerFixture server) : WebFingerTests(server), IClassFixture<PostgresServerFixture>;

/// <summary>WebFinger with <c>Hosting:PublicOrigin</c> and <c>Accounts:HideUnknownUsers</c> set (R2, R7).</summary>
public abstract class ConfiguredWebFingerTests(ConfiguredWebFingerFixture server)
{
    [Fact]
    public async Task With_a_public_origin_the_href_and_auth_urls_use_it_whatever_host_was_asked()
    {
        var user = ServerFixture.NewUser();
        await OAuthBrowser.CreateUserAsync(server, user);
        using var json = await GetAsync($"acct:{user}@{server.BaseAddress.Authority}");
        var link = json.RootElement.GetProperty("links")[0];
        Assert.Equal(ConfiguredWebFingerFixture.PublicOrigin + "/storage/" + user, link.GetProperty("href").GetString());
        var props = link.GetProperty("properties");
        Assert.Equal(ConfiguredWebFingerFixture.PublicOrigin + "/oauth/authorize", props.GetProperty("http://tools.ietf.org/html/rfc6749#section-4.2").GetString());
        Assert.Equal(ConfiguredWebFingerFixture.PublicOrigin + "/oauth/token", props.GetProperty("http://tools.ietf.org/html/rfc6749#section-3.2").GetString());
    }

    [Fact]
    public async Task A_public_origin_wins_over_forwarded_headers()
    {
        var user = ServerFixture.NewUser();
        await OAuthBrowser.CreateUserAsync(server, user);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/webfinger?resource=" + Uri.EscapeDataString($"acct:{user}@x"));
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "other.example");
        using var response = await server.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ConfiguredWebFingerFixture.PublicOrigin + "/storage/" + user, json.RootElement.GetProperty("links")[0].GetProperty("href").GetString());
    }

    [Fact]
    public async Task With_hidden_users_an_unknown_user_gets_the_same_answer_shape_as_a_known_one()
    {
        var known = ServerFixture.NewUser();
        await OAuthBrowser.CreateUserAsync(server, known);
        var unknown = ServerFixture.NewUser();
        var host = server.BaseAddress.Authority;

        using var knownResponse = await server.Client.GetAsync($"/.well-known/webfinger?resource=acct:{known}@{host}");
        using var unknownResponse = await server.Client.GetAsync($"/.well-known/webfinger?resource=acct:{unknown}@{host}");
        Assert.Equal(HttpStatusCode.OK, knownResponse.StatusCode);
        Assert.Equal(knownResponse.StatusCode, unknownResponse.StatusCode);
        Assert.Equal(knownResponse.Content.Headers.ContentType?.ToString(), unknownResponse.Content.Headers.ContentType?.ToString());
        var knownBody = await knownResponse.Content.ReadAsStringAsync();
        var unknownBody = await unknownResponse.Content.ReadAsStringAsync();

        // The same document with the other name in it: nothing tells the two apart.
        Assert.Equal(knownBody.Replace(known, "NAME", StringComparison.Ordinal), unknownBody.Replace(unknown, "NAME", StringComparison.Ordinal));
        Assert.Equal(knownBody.Length, unknownBody.Length);
    }

    [Fact]
    public async Task With_hidden_users_an_invalid_name_is_still_404()
    {
        using var response = await server.Client.GetAsync("/.well-known/webfinger?resource=" + Uri.EscapeDataString("acct:Not Valid@x"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<JsonDocument> GetAsync(string resource)
    {
        using var response = await server.Client.GetAsync("/.well-known/webfinger?resource=" + Uri.EscapeDataString(resource));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}

public sealed class ConfiguredWebFingerTests_Sqlite(ConfiguredWebFingerSqliteFixture server) : ConfiguredWebFingerTests(server), IClassFixture<ConfiguredWebFingerSqliteFixture>;

public sealed class ConfiguredWebFingerTests_Postgres(ConfiguredWebFingerPostgresFixture server) : ConfiguredWebFingerTests(server), IClassFixture<ConfiguredWebFingerPostgresFixture>;
