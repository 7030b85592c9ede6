using System.Net;
using System.Text;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

public abstract class SmokeTests(ServerFixture server)
{
    [Fact]
    public async Task Put_then_get_round_trips_the_document()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("hello"));
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain; charset=UTF-8");
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/a") { Content = content }.WithToken(token);
        using var putResponse = await server.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.Created, putResponse.StatusCode);

        using var get = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/a").WithToken(token);
        using var getResponse = await server.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, getResponse.StatusCode);
        Assert.Equal("hello", await getResponse.Content.ReadAsStringAsync());
        Assert.Equal(putResponse.Headers.ETag, getResponse.Headers.ETag);

        using var list = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/").WithToken(token);
        using var listResponse = await server.Client.SendAsync(list);
        var body = await listResponse.Content.ReadAsStringAsync();
        Assert.Contains("\"a\":{\"ETag\":", body, StringComparison.Ordinal);
    }
}

public sealed class SmokeTests_Sqlite(SqliteServerFixture server) : SmokeTests(server), IClassFixture<SqliteServerFixture>;

public sealed class SmokeTests_Postgres(PostgresServerFixture server) : SmokeTests(server), IClassFixture<PostgresServerFixture>;

public sealed class SmokeTests_PostgresS3(PostgresS3ServerFixture server) : SmokeTests(server), IClassFixture<PostgresS3ServerFixture>;
