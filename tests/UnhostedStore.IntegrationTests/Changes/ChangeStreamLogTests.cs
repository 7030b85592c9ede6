using System.Net;
using UnhostedStore.IntegrationTests.Hosting;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Storage;

namespace UnhostedStore.IntegrationTests.Changes;

/// <summary>RFC 6750 §5.3: a token in the URL must not end up in logs. A change stream opened with
/// <c>access_token</c> (and a refused one) on a server logging at Trace for our categories and at
/// Information for ASP.NET Core leaves no trace of the token.</summary>
public sealed class ChangeStreamLogTests(LogCaptureFixture server) : IClassFixture<LogCaptureFixture>
{
    [Fact]
    public async Task A_token_sent_as_the_access_token_parameter_of_a_stream_is_never_logged()
    {
        var user = new StorageTestUser(server, "notes:rw");
        var before = server.Logs.Messages.Count;
        await using (var stream = await SseClient.OpenAsync(server.BaseAddress, user.Url("/notes/") + "?lastEventId=0", user.Token, tokenInQuery: true))
        {
            Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
            await user.PutOkAsync("/notes/logged");
            var change = await stream.NextAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("change", change!.Type);
        }

        const string Wrong = "WRONGSTREAMTOKEN123";
        await using (var refused = await SseClient.OpenAsync(server.BaseAddress, user.Url("/notes/"), Wrong, tokenInQuery: true))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
        }

        var messages = server.Logs.Messages.ToArray();
        Assert.True(messages.Skip(before).Any(m => m.Contains("Change stream opened: " + user.Name, StringComparison.Ordinal)), "the capturing provider saw no message of the stream");
        foreach (var secret in new[] { user.Token, Wrong })
        {
            var leaked = messages.Where(m => m.Contains(secret, StringComparison.Ordinal)).ToArray();
            Assert.True(leaked.Length == 0, $"'{secret}' was logged:\n{string.Join('\n', leaked)}");
        }
    }
}
