using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Storage;
using UnhostedStore.Storage.Changes;

namespace UnhostedStore.IntegrationTests.Changes;

/// <summary>
/// Live change notifications (spec/changes-extension.md): a folder GET with
/// <c>Accept: text/event-stream</c> streams every committed change below the folder, within the
/// token's scopes; resumes replay from the change log; a resume from before the retention, or a
/// consumer that falls behind, gets <c>reset</c>; a revoked grant's streams end at once.
/// </summary>
public abstract class ChangeStreamTests(ChangesServerFixture server)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Puts_and_deletes_below_the_folder_arrive_as_events_and_nothing_else_does()
    {
        var user = new StorageTestUser(server, "*:rw");
        var reader = await server.Tokens.IssueAsync(user.Name, "notes:r");
        await using var stream = await OpenAsync(user.Name, "/notes/", reader);

        var etag = await user.PutOkAsync("/notes/a", "one", "text/plain; charset=utf-8");
        var created = await NextChangeAsync(stream);
        Assert.Equal("/notes/a", created.Path);
        Assert.Equal(etag.Trim('"'), created.Json.GetProperty("etag").GetString());
        Assert.Equal("text/plain; charset=utf-8", created.Json.GetProperty("contentType").GetString());
        Assert.False(created.Json.GetProperty("deleted").GetBoolean());

        // Another module, the module's public folder and a folder merely sharing the prefix are
        // not below /notes/: the next event is the one that is, nested.
        await user.PutOkAsync("/contacts/x", "no");
        await user.PutOkAsync("/public/notes/p", "no");
        await user.PutOkAsync("/notesextra/q", "no");
        var nestedTag = await user.PutOkAsync("/notes/sub/b", "two", "application/json");
        var nested = await NextChangeAsync(stream);
        Assert.Equal("/notes/sub/b", nested.Path);
        Assert.Equal(nestedTag.Trim('"'), nested.Json.GetProperty("etag").GetString());

        using (var delete = await user.DeleteAsync("/notes/a"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        var deleted = await NextChangeAsync(stream);
        Assert.Equal("/notes/a", deleted.Path);
        Assert.True(deleted.Json.GetProperty("deleted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, deleted.Json.GetProperty("etag").ValueKind);
        Assert.Equal(JsonValueKind.Null, deleted.Json.GetProperty("contentType").ValueKind);

        // Ids count up per user, each change its own: the four writes in between took four.
        var ids = new[] { created, nested, deleted }.Select(e => long.Parse(e.Id!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(ids[0] + 4, ids[1]);
        Assert.Equal(ids[1] + 1, ids[2]);
        await stream.AssertQuietAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_stream_answers_with_event_stream_headers_cors_and_heartbeats()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await using var stream = await SseClient.OpenAsync(server.BaseAddress, user.Url("/notes/"), user.Token, origin: "https://app.example");
        var response = stream.Response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", StorageTestUser.Header(response, "Content-Type"));
        Assert.Equal("no-store", StorageTestUser.Header(response, "Cache-Control"));
        Assert.Equal("no", StorageTestUser.Header(response, "X-Accel-Buffering"));
        Assert.Equal("https://app.example", StorageTestUser.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("nosniff", StorageTestUser.Header(response, "X-Content-Type-Options"));

        var first = await stream.NextAsync(Soon, heartbeats: true);
        Assert.Equal(3000, first!.Retry);
        var heartbeat = await stream.NextAsync(TimeSpan.FromSeconds(5), heartbeats: true);
        Assert.True(heartbeat!.IsHeartbeat, $"expected a heartbeat, got {heartbeat}");
    }

    [Fact]
    public async Task A_folder_get_without_the_event_stream_accept_is_the_plain_listing()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await user.PutOkAsync("/notes/a", "one");
        using var response = await user.GetAsync("/notes/", r => r.Headers.Accept.ParseAdd("application/ld+json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/ld+json", StorageTestUser.Header(response, "Content-Type"));
        Assert.Contains("\"a\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, server.Hub.CountFor(user.Name));

        // A query token is for streams only: a plain GET with one and no header is unauthorized.
        using var plain = await server.NewClient().GetAsync(user.Url("/notes/") + "?access_token=" + user.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, plain.StatusCode);
    }

    [Fact]
    public async Task The_scope_is_checked_before_a_stream_opens_and_a_public_folder_carries_public_documents()
    {
        var user = new StorageTestUser(server, "*:rw");
        var notes = await server.Tokens.IssueAsync(user.Name, "notes:r");
        var contacts = await server.Tokens.IssueAsync(user.Name, "contacts:r");
        var stranger = new StorageTestUser(server, "*:rw");

        foreach (var (folder, token, status) in new (string, string?, HttpStatusCode)[]
        {
            ("/notes/", null, HttpStatusCode.Unauthorized),
            ("/notes/", "not-a-valid-token", HttpStatusCode.Unauthorized),
            ("/notes/", contacts, HttpStatusCode.Forbidden),
            ("/", notes, HttpStatusCode.Forbidden),
            ("/public/", notes, HttpStatusCode.Forbidden),
            ("/notes/", stranger.Token, HttpStatusCode.Forbidden),
        })
        {
            await using var refused = await OpenRawAsync(user.Name, folder, token);
            Assert.True(refused.Response.StatusCode == status, $"{folder} with {token ?? "no token"}: {(int)refused.Response.StatusCode}");
        }

        await using var stream = await OpenAsync(user.Name, "/public/notes/", notes);
        await user.PutOkAsync("/notes/private", "no");
        await user.PutOkAsync("/public/notes/shared", "yes");
        Assert.Equal("/public/notes/shared", (await NextChangeAsync(stream)).Path);

        // A root stream with a root scope sees every module.
        await using var all = await OpenAsync(user.Name, "/", user.Token);
        await user.PutOkAsync("/contacts/c", "c");
        Assert.Equal("/contacts/c", (await NextChangeAsync(all)).Path);
    }

    [Fact]
    public async Task A_resume_with_last_event_id_replays_what_was_missed_in_order_then_goes_on_live()
    {
        var user = new StorageTestUser(server, "*:rw");
        string first;
        await using (var stream = await OpenAsync(user.Name, "/notes/", user.Token))
        {
            await user.PutOkAsync("/notes/a");
            first = (await NextChangeAsync(stream)).Id!;
        }

        await user.PutOkAsync("/notes/b");
        await user.PutOkAsync("/other/skipped");
        await user.PutOkAsync("/notes/c");

        await using var resumed = await OpenAsync(user.Name, "/notes/", user.Token, lastEventId: first);
        var b = await NextChangeAsync(resumed);
        var c = await NextChangeAsync(resumed);
        Assert.Equal(["/notes/b", "/notes/c"], new[] { b.Path, c.Path });
        Assert.Equal(long.Parse(first, CultureInfo.InvariantCulture) + 1, long.Parse(b.Id!, CultureInfo.InvariantCulture));
        await user.PutOkAsync("/notes/d");
        Assert.Equal("/notes/d", (await NextChangeAsync(resumed)).Path);

        // The query parameter does the same, for a first connection that can't send the header.
        await using var byQuery = await OpenAsync(user.Name, "/notes/?lastEventId=" + c.Id, user.Token);
        Assert.Equal("/notes/d", (await NextChangeAsync(byQuery)).Path);

        // Resuming from the newest id replays nothing.
        await using var upToDate = await OpenAsync(user.Name, "/notes/", user.Token, lastEventId: (long.Parse(c.Id!, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture));
        await upToDate.AssertQuietAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_resume_from_beyond_the_retention_or_an_unknown_id_gets_reset_and_then_live_events()
    {
        var user = new StorageTestUser(server, "notes:rw");
        string first;
        await using (var stream = await OpenAsync(user.Name, "/notes/", user.Token))
        {
            await user.PutOkAsync("/notes/0");
            first = (await NextChangeAsync(stream)).Id!;
        }

        for (var i = 1; i <= ChangesServerFixture.MaxEntries + 2; i++)
        {
            await user.PutOkAsync("/notes/" + i.ToString(CultureInfo.InvariantCulture));
        }

        Assert.True(await server.PurgeAsync() >= 3);
        var last = long.Parse(first, CultureInfo.InvariantCulture) + ChangesServerFixture.MaxEntries + 2;

        await using var resumed = await OpenAsync(user.Name, "/notes/", user.Token, lastEventId: first);
        var reset = await resumed.NextAsync(Soon);
        Assert.Equal("reset", reset!.Type);
        Assert.Equal("expired", reset.Json.GetProperty("reason").GetString());
        Assert.Equal(last.ToString(CultureInfo.InvariantCulture), reset.Id);
        await user.PutOkAsync("/notes/after");
        var live = await NextChangeAsync(resumed);
        Assert.Equal("/notes/after", live.Path);
        Assert.Equal(last + 1, long.Parse(live.Id!, CultureInfo.InvariantCulture));

        // Within the retention a resume still replays.
        await using var recent = await OpenAsync(user.Name, "/notes/", user.Token, lastEventId: (last - 1).ToString(CultureInfo.InvariantCulture));
        Assert.Equal("/notes/" + (ChangesServerFixture.MaxEntries + 2).ToString(CultureInfo.InvariantCulture), (await NextChangeAsync(recent)).Path);

        foreach (var unknown in new[] { "not-a-number", (last + 100).ToString(CultureInfo.InvariantCulture) })
        {
            await using var odd = await OpenAsync(user.Name, "/notes/", user.Token, lastEventId: unknown);
            var e = await odd.NextAsync(Soon);
            Assert.Equal("reset", e!.Type);
            Assert.Equal("unknown-id", e.Json.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Revoking_the_grant_ends_its_streams_at_once_and_leaves_other_grants_streams_open()
    {
        var user = new StorageTestUser(server, "*:rw");
        var revoked = await server.Tokens.IssueAsync(user.Name, "notes:r");
        var kept = await server.Tokens.IssueAsync(user.Name, "notes:r");
        await using var doomed = await OpenAsync(user.Name, "/notes/", revoked);
        await using var survivor = await OpenAsync(user.Name, "/notes/", kept);
        await user.PutOkAsync("/notes/before");
        Assert.Equal("/notes/before", (await NextChangeAsync(doomed)).Path);

        var watch = Stopwatch.StartNew();
        server.Tokens.Revoke(revoked);
        var rest = await doomed.ReadToEndAsync(TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(rest, e => e.Type == "change");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the stream ended {watch.Elapsed} after the revocation");

        await user.PutOkAsync("/notes/after");
        Assert.Equal("/notes/before", (await NextChangeAsync(survivor)).Path);
        Assert.Equal("/notes/after", (await NextChangeAsync(survivor)).Path);

        await using var again = await OpenRawAsync(user.Name, "/notes/", revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, again.Response.StatusCode);
    }

    [Fact]
    public async Task A_consumer_that_stops_reading_is_dropped_with_reset_and_never_slows_the_writers()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await using var stalled = await SseClient.OpenAsync(server.BaseAddress, user.Url("/notes/"), user.Token, smallReceiveBuffer: true, startReading: false);
        Assert.Equal(HttpStatusCode.OK, stalled.Response.StatusCode);

        // Long paths make big events, so the few buffers between the server and a client that
        // reads nothing fill up after a few hundred of them.
        var folder = "/notes/" + new string('d', 1800) + "/";
        var slowest = TimeSpan.Zero;
        var writes = 0;
        while (server.Hub.Streams().Any(s => s.Owner == user.Name && s.End == StreamEnd.None))
        {
            Assert.True(writes < 3000, "the stalled stream was never dropped");
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i => user.PutOkAsync(folder + (writes + i).ToString(CultureInfo.InvariantCulture))));
            writes += 4;
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }

        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a write waited {slowest} ({writes} writes)");

        // Writes go on while the stalled client still reads nothing.
        await user.PutOkAsync("/notes/later");

        stalled.StartReading();
        var seen = await stalled.ReadToEndAsync(TimeSpan.FromSeconds(20));
        var last = seen.Last(e => !e.IsHeartbeat);
        Assert.Equal("reset", last.Type);
        Assert.Equal("overflow", last.Json.GetProperty("reason").GetString());
        Assert.Null(last.Id);
        Assert.True(seen.Count(e => e.Type == "change") < writes, "every event was delivered, so nothing was dropped");
        await Poll.UntilAsync(() => Task.FromResult(server.Hub.CountFor(user.Name)), n => n == 0, Soon, "stream removed");
    }

    [Fact]
    public async Task Too_many_streams_for_one_account_get_429_with_a_reason_until_one_closes()
    {
        var user = new StorageTestUser(server, "notes:rw");
        var open = new List<SseClient>();
        try
        {
            for (var i = 0; i < ChangesServerFixture.MaxPerUser; i++)
            {
                open.Add(await OpenAsync(user.Name, "/notes/", user.Token));
            }

            await using (var refused = await OpenRawAsync(user.Name, "/notes/", user.Token))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, refused.Response.StatusCode);
                Assert.NotNull(StorageTestUser.Header(refused.Response, "Retry-After"));
                Assert.Contains("change streams open already", await refused.Response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await Poll.UntilAsync(() => Task.FromResult(server.Hub.CountFor(user.Name)), n => n < ChangesServerFixture.MaxPerUser, Soon, "a stream closed");
            open.Add(await OpenAsync(user.Name, "/notes/", user.Token));
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_token_in_the_access_token_parameter_opens_a_stream()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await using var stream = await SseClient.OpenAsync(server.BaseAddress, user.Url("/notes/"), user.Token, tokenInQuery: true);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        await user.PutOkAsync("/notes/q");
        Assert.Equal("/notes/q", (await NextChangeAsync(stream)).Path);
    }

    [Fact]
    public async Task Moves_produce_a_deletion_and_a_creation()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await user.PutOkAsync("/notes/from", "moved");
        await using var stream = await OpenAsync(user.Name, "/notes/", user.Token);
        var report = await Files.MoveTestHelpers.MoveAsync(server, user.Name, "/notes/from", "/notes/to");
        Assert.True(report.Completed);

        var events = new[] { await NextChangeAsync(stream), await NextChangeAsync(stream) };
        Assert.Contains(events, e => e.Path == "/notes/to" && !e.Json.GetProperty("deleted").GetBoolean());
        Assert.Contains(events, e => e.Path == "/notes/from" && e.Json.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task WebFinger_announces_change_streams_over_sse()
    {
        var user = ServerFixture.NewUser();
        await server.Tokens.IssueAsync(user, "notes:r");
        using var response = await server.Client.GetAsync($"/.well-known/webfinger?resource=acct:{user}@{server.BaseAddress.Authority}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var properties = json.RootElement.GetProperty("links")[0].GetProperty("properties");
        Assert.Equal("SSE", properties.GetProperty("http://remotestorage.io/spec/changes").GetString());
    }

    private async Task<SseClient> OpenAsync(string user, string folder, string token, string? lastEventId = null)
    {
        var stream = await OpenRawAsync(user, folder, token, lastEventId);
        if (stream.Response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"stream {folder}: {(int)stream.Response.StatusCode} {await stream.Response.Content.ReadAsStringAsync()}");
        }

        return stream;
    }

    private Task<SseClient> OpenRawAsync(string user, string folder, string? token, string? lastEventId = null) =>
        SseClient.OpenAsync(server.BaseAddress, $"/storage/{user}{folder}", token, lastEventId);

    private static async Task<SseEvent> NextChangeAsync(SseClient stream)
    {
        var e = await stream.NextAsync(Soon);
        Assert.NotNull(e);
        Assert.True(e.Type == "change", $"expected a change, got {e}");
        return e;
    }
}

public sealed class ChangeStreamTests_Sqlite(ChangesSqliteFixture server) : ChangeStreamTests(server), IClassFixture<ChangesSqliteFixture>;

public sealed class ChangeStreamTests_Postgres(ChangesPostgresFixture server) : ChangeStreamTests(server), IClassFixture<ChangesPostgresFixture>;
