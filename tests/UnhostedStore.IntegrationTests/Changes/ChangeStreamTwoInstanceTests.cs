using System.Globalization;
using System.Net;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.IntegrationTests.Storage;

namespace UnhostedStore.IntegrationTests.Changes;

/// <summary>
/// The in-process server (A) and a second server process (B) on one PostgreSQL database, with
/// the change-stream settings of <see cref="ChangesServerFixture"/>. Documents are small enough
/// to stay inline, so the database is all the two share.
/// </summary>
public sealed class ChangesTwoInstancesFixture() : ChangesServerFixture(Backend.PostgresFileSystem)
{
    private readonly List<string> _directories = [];

    public ServerProcess B { get; private set; } = null!;

    protected override async Task AfterStartAsync() => B = await StartProcessAsync();

    /// <summary>Another server process on this fixture's database (the caller disposes it).</summary>
    public Task<ServerProcess> StartProcessAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "us-test-changes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        _directories.Add(directory);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DataDirectory"] = directory,
            ["ConnectionStrings__Postgres"] = PostgresConnectionString!,
            ["Storage__InlineMaxBytes"] = "16",
        };
        foreach (var (key, value) in ProcessSettings())
        {
            environment[key] = value;
        }

        return ServerProcess.StartAsync(environment);
    }

    protected override async Task AfterStopAsync()
    {
        if (B is not null)
        {
            await B.DisposeAsync();
        }

        foreach (var directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>
/// Across instances: a change committed on one instance reaches the streams open on the other
/// (PostgreSQL NOTIFY, then one read of the log), a resume on either replays what both wrote,
/// and an instance that shuts down ends its streams with a retry hint.
/// </summary>
public sealed class ChangeStreamTwoInstanceTests(ChangesTwoInstancesFixture server) : IClassFixture<ChangesTwoInstancesFixture>
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_change_written_on_one_instance_reaches_the_streams_on_the_other()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await using var onA = await OpenAsync(server.InProcessAddress, user);
        await using var onB = await OpenAsync(server.B.BaseAddress, user);

        var etag = await PutAsync(server.B.BaseAddress, user, "/notes/from-b", "b");
        var fromB = await NextChangeAsync(onA);
        Assert.Equal("/notes/from-b", fromB.Path);
        Assert.Equal(etag.Trim('"'), fromB.Json.GetProperty("etag").GetString());
        Assert.Equal("/notes/from-b", (await NextChangeAsync(onB)).Path);

        await PutAsync(server.InProcessAddress, user, "/notes/from-a", "a");
        var fromA = await NextChangeAsync(onB);
        Assert.Equal("/notes/from-a", fromA.Path);
        Assert.Equal("/notes/from-a", (await NextChangeAsync(onA)).Path);
        Assert.Equal(long.Parse(fromB.Id!, CultureInfo.InvariantCulture) + 1, long.Parse(fromA.Id!, CultureInfo.InvariantCulture));

        using (var http = new HttpClient { BaseAddress = server.B.BaseAddress })
        using (var delete = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, user.Url("/notes/from-a")).WithToken(user.Token)))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        var deleted = await NextChangeAsync(onA);
        Assert.Equal("/notes/from-a", deleted.Path);
        Assert.True(deleted.Json.GetProperty("deleted").GetBoolean());

        // A resume on B replays what both instances wrote, from the shared log.
        await using var resumed = await OpenAsync(server.B.BaseAddress, user, fromB.Id);
        Assert.Equal("/notes/from-a", (await NextChangeAsync(resumed)).Path);
        Assert.True((await NextChangeAsync(resumed)).Json.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task An_instance_shutting_down_ends_its_streams_with_a_retry_hint_and_exits()
    {
        var user = new StorageTestUser(server, "notes:rw");
        await using var process = await server.StartProcessAsync();
        await using var stream = await OpenAsync(process.BaseAddress, user);
        Assert.True((await stream.NextAsync(Soon, heartbeats: true))!.Retry is 3000);

        await Shell.SignalAsync(process.Pid, "TERM");
        var rest = await stream.ReadToEndAsync(Soon);
        var hint = rest.LastOrDefault(e => e.Type == "(retry)");
        Assert.NotNull(hint);
        Assert.InRange(hint.Retry!.Value, 1000, 5000);
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(20)), "the server did not exit after SIGTERM:\n" + process.Output);
        Assert.Equal(0, process.ExitCode);
    }

    private static async Task<string> PutAsync(Uri instance, StorageTestUser user, string path, string text)
    {
        using var http = new HttpClient { BaseAddress = instance };
        using var put = new HttpRequestMessage(HttpMethod.Put, user.Url(path)) { Content = new StringContent(text) }.WithToken(user.Token);
        using var response = await http.SendAsync(put);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {path} on {instance}: {(int)response.StatusCode}");
        return StorageTestUser.ETagOf(response)!;
    }

    private static async Task<SseClient> OpenAsync(Uri instance, StorageTestUser user, string? lastEventId = null)
    {
        var stream = await SseClient.OpenAsync(instance, user.Url("/notes/"), user.Token, lastEventId);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        return stream;
    }

    private static async Task<SseEvent> NextChangeAsync(SseClient stream)
    {
        var e = await stream.NextAsync(Soon);
        Assert.NotNull(e);
        Assert.True(e.Type == "change", $"expected a change, got {e}");
        return e;
    }
}
