using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Faults;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>Move-in from another remoteStorage server: a second UnhostedStore, and lying ones.</summary>
public abstract class MoveInTests(ServerFixture server, MoveInSource source)
{
    private sealed record Doc(string Path, byte[] Bytes, string ContentType);

    private static List<Doc> SampleDocuments(int count)
    {
        var random = new Random(11);
        var docs = new List<Doc>();
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[random.Next(0, 30_000)];
            random.NextBytes(bytes);
            docs.Add((i % 5) switch
            {
                0 => new Doc($"notes/with space {i}.txt", Encoding.UTF8.GetBytes("text " + i), "text/plain; charset=UTF-8"),
                1 => new Doc($"notes/Grüße 日本/{i}.md", Encoding.UTF8.GetBytes("nön-ASCII " + i), "text/markdown; charset=UTF-8"),
                2 => new Doc($"public/photos/shared {i}.json", Encoding.UTF8.GetBytes("{\"n\":" + i + "}"), "application/json"),
                3 => new Doc($"deep/a/b/c/100% {i}.bin", bytes, "application/octet-stream"),
                _ => new Doc($"bin/{i}.png", bytes, "image/png"),
            });
        }

        return docs;
    }

    private static string Encode(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private async Task<string> FillSourceAsync(string user, IEnumerable<Doc> docs)
    {
        var writer = source.Server.Tokens.Issue(user, "*:rw");
        foreach (var doc in docs)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/{Encode(doc.Path)}").WithToken(writer);
            put.Content = new ByteArrayContent(doc.Bytes);
            put.Content.Headers.TryAddWithoutValidation("Content-Type", doc.ContentType);
            using var response = await source.Server.Client.SendAsync(put);
            Assert.True(response.IsSuccessStatusCode, doc.Path + ": " + response.StatusCode);
        }

        return source.Server.Tokens.Issue(user, "*:r");
    }

    private async Task AssertCopiedAsync(string user, IEnumerable<Doc> docs)
    {
        var reader = server.Tokens.Issue(user, "*:r");
        foreach (var doc in docs)
        {
            using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{Encode(doc.Path)}").WithToken(reader));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(doc.ContentType, response.Content.Headers.GetValues("Content-Type").Single());
            Assert.Equal(doc.Bytes, await response.Content.ReadAsByteArrayAsync());
        }
    }

    private async Task<MoveInJob> StartJobAsync(string user, string address, string token)
    {
        await using var scope = server.CreateScope();
        await TestTokens.EnsureAccountAsync(scope.ServiceProvider, user);
        var old = await scope.ServiceProvider.GetRequiredService<MoveInDiscovery>().DiscoverAsync(address, CancellationToken.None);
        return await scope.ServiceProvider.GetRequiredService<MoveInCopier>().CreateAsync(user, old, token, CancellationToken.None);
    }

    private async Task<MoveInJob?> RunAsync(string jobId, IProgress<MoveInProgress>? progress = null, CancellationToken ct = default)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<MoveInCopier>().RunAsync(jobId, progress, ct);
    }

    private async Task<MoveInJob> RowAsync(string jobId)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).MoveInJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
    }

    private async Task<int> StoredCountAsync(string user)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).Nodes.CountAsync(n => n.Owner == user && !n.IsFolder);
    }

    [Fact]
    public async Task The_cli_copies_every_document_of_another_unhosted_store_with_its_bytes_and_content_type()
    {
        var user = ServerFixture.NewUser();
        var docs = SampleDocuments(40);
        var token = await FillSourceAsync(user, docs);
        await using (var scope = server.CreateScope())
        {
            await TestTokens.EnsureAccountAsync(scope.ServiceProvider, user);
        }

        var result = await CliRunner.RunAsync(server, null, "users", "move-in", user, "--from", source.Address(user), "--token", token);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("copied: 40", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("refused: 0", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("move-in:", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(token, result.Stdout + result.Stderr, StringComparison.Ordinal);
        await AssertCopiedAsync(user, docs);
        using var shared = await server.NewClient().GetAsync($"/storage/{user}/{Encode(docs[2].Path)}");
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        await using var check = server.CreateScope();
        var row = await ServerFixture.Db(check).MoveInJobs.AsNoTracking().SingleAsync(j => j.UserName == user);
        Assert.Equal((MoveInState.Done, null), (row.State, row.ProtectedToken));
    }

    [Fact]
    public async Task An_interrupted_move_in_resumes_without_losing_or_duplicating_anything()
    {
        var user = ServerFixture.NewUser();
        var docs = SampleDocuments(30);
        var token = await FillSourceAsync(user, docs);
        var job = await StartJobAsync(user, source.Address(user), token);

        using var stop = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Copied >= 7)
            {
                stop.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(job.Id, progress, stop.Token));
        var halfway = await RowAsync(job.Id);
        Assert.Equal(MoveInState.Running, halfway.State);
        Assert.InRange(halfway.Copied, 7, 29);
        Assert.NotNull(halfway.ProtectedToken);
        Assert.DoesNotContain(token, halfway.ProtectedToken, StringComparison.Ordinal);

        // The server's own resumer may take the job over first; either way it completes.
        _ = await RunAsync(job.Id);
        var done = await Poll.UntilAsync(() => RowAsync(job.Id), row => row.State != MoveInState.Running, TimeSpan.FromSeconds(60), "the move-in to end");
        Assert.Equal((MoveInState.Done, 30, 0, string.Empty), (done.State, done.Copied, done.Skipped, done.Refused));
        Assert.Null(done.ProtectedToken);
        Assert.Equal(30, await StoredCountAsync(user));
        await AssertCopiedAsync(user, docs);
    }

    [Fact]
    public async Task A_new_move_in_is_leased_to_the_process_that_created_it_so_no_resumer_takes_it_before_its_run()
    {
        var user = ServerFixture.NewUser();
        var token = await FillSourceAsync(user, SampleDocuments(2));
        var created = DateTime.UtcNow;
        var job = await StartJobAsync(user, source.Address(user), token);

        // The resumers (of every instance, and of the server while a command runs) take only
        // jobs whose lease is free or ran out.
        var row = await RowAsync(job.Id);
        Assert.NotNull(row.LeaseOwner);
        Assert.True(row.LeaseUntilUtc > created + MoveInCopier.Lease / 2, $"lease until {row.LeaseUntilUtc:O}");

        // The run this process starts for it takes it at once, and completes it.
        var done = await RunAsync(job.Id);
        Assert.NotNull(done);
        Assert.Equal((MoveInState.Done, 2), (done.State, done.Copied));
    }

    [Fact]
    public async Task A_document_the_person_already_has_is_kept()
    {
        var user = ServerFixture.NewUser();
        var docs = SampleDocuments(3);
        var token = await FillSourceAsync(user, docs);
        var mine = server.Tokens.Issue(user, "*:rw");
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/{Encode(docs[0].Path)}").WithToken(mine))
        {
            put.Content = new StringContent("mine", Encoding.UTF8, "text/plain");
            (await server.Client.SendAsync(put)).Dispose();
        }

        var job = await RunAsync((await StartJobAsync(user, source.Address(user), token)).Id);
        Assert.Equal((MoveInState.Done, 2, 1), (job!.State, job.Copied, job.Skipped));
        using var kept = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/{Encode(docs[0].Path)}").WithToken(mine));
        Assert.Equal("mine", await kept.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Listings_that_loop_or_lie_are_refused_with_reasons_and_the_rest_is_copied()
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.Listing("/", """{"items":{"loop/":{"ETag":"1"},"../":{"ETag":"2"},"bad/":{"ETag":"3"},"odd":"not an object","ok.txt":{"ETag":"4","Content-Type":"text/plain"}}}""");
        fake.Listing("/bad/", "<html>surprise</html>");
        fake.Document("/ok.txt", "fine");
        var deep = "/loop/";
        for (var i = 0; i < 40; i++)
        {
            fake.Listing(deep, """{"items":{"loop/":{"ETag":"x"}}}""");
            deep += "loop/";
        }

        var user = ServerFixture.NewUser();
        var job = await RunAsync((await StartJobAsync(user, fake.Address, "t")).Id);

        Assert.Equal((MoveInState.Done, 1), (job!.State, job.Copied));
        var refusals = MoveInReport.Refusals(job);
        Assert.Contains(refusals, r => r.Path == "/../" && r.Why.Contains("loop", StringComparison.Ordinal));
        Assert.Contains(refusals, r => r.Path == "/bad/" && r.Why.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(refusals, r => r.Path == "/odd" && r.Why.Contains("not an object", StringComparison.Ordinal));
        Assert.Contains(refusals, r => r.Path.StartsWith("/loop/loop/", StringComparison.Ordinal) && r.Why.Contains("seem to loop", StringComparison.Ordinal));
        Assert.Equal(1, await StoredCountAsync(user));
    }

    [Fact]
    public async Task A_root_listing_that_is_not_json_fails_the_move_in_and_stores_nothing()
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.Answers["/"] = ("text/html", Encoding.UTF8.GetBytes("<html>login first</html>"));
        var user = ServerFixture.NewUser();
        var job = await RunAsync((await StartJobAsync(user, fake.Address, "t")).Id);
        Assert.Equal(MoveInState.Failed, job!.State);
        Assert.Contains("not JSON", job.Error, StringComparison.Ordinal);
        Assert.Null(job.ProtectedToken);
        Assert.Equal(0, await StoredCountAsync(user));
    }

    [Fact]
    public async Task A_listing_larger_than_the_cap_is_refused()
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.Listing("/", """{"items":{"big/":{"ETag":"1"}}}""");
        fake.Answers["/big/"] = ("application/json", new byte[MoveInCopier.MaxListingBytes + 1]);
        var user = ServerFixture.NewUser();
        var job = await RunAsync((await StartJobAsync(user, fake.Address, "t")).Id);
        Assert.Contains(MoveInReport.Refusals(job!), r => r.Path == "/big/" && r.Why.Contains("larger than", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_webfinger_json_gets_a_clear_message()
    {
        await using var fake = await FakeOldServer.StartAsync();
        fake.WebFinger = "{\"links\": [ broken";
        await using var scope = server.CreateScope();
        var e = await Assert.ThrowsAsync<MoveInRefusedException>(() => scope.ServiceProvider.GetRequiredService<MoveInDiscovery>().DiscoverAsync(fake.Address, CancellationToken.None));
        Assert.Contains("not JSON", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice@10.1.2.3")]
    [InlineData("alice@192.168.1.1:8080")]
    [InlineData("alice@169.254.169.254")]
    [InlineData("alice@[fd00::1]")]
    public async Task A_private_address_is_refused_while_private_move_ins_are_off(string address)
    {
        await using var scope = server.CreateScope();
        var e = await Assert.ThrowsAsync<MoveInRefusedException>(() => scope.ServiceProvider.GetRequiredService<MoveInDiscovery>().DiscoverAsync(address, CancellationToken.None));
        Assert.Contains("private address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_refuses_a_private_address_and_stores_nothing()
    {
        var user = ServerFixture.NewUser();
        await using (var scope = server.CreateScope())
        {
            await TestTokens.EnsureAccountAsync(scope.ServiceProvider, user);
        }

        var result = await CliRunner.RunAsync(server, null, "users", "move-in", user, "--from", "alice@10.0.0.7", "--token", "t");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("private address", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await StoredCountAsync(user));
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool, too late to stop at once).</summary>
    private sealed class SyncProgress(Action<MoveInProgress> report) : IProgress<MoveInProgress>
    {
        public void Report(MoveInProgress value) => report(value);
    }
}

// On the two deployments, the embedded default and production (PostgreSQL + S3): PostgreSQL with
// filesystem blobs adds nothing these tests could catch, and each run of them costs a server and
// real processes; the storage contract classes cover all three combinations.
public sealed class MoveInTests_Sqlite(SqliteServerFixture server, MoveInSource source) : MoveInTests(server, source), IClassFixture<SqliteServerFixture>, IClassFixture<MoveInSource>;

public sealed class MoveInTests_PostgresS3(PostgresS3ServerFixture server, MoveInSource source) : MoveInTests(server, source), IClassFixture<PostgresS3ServerFixture>, IClassFixture<MoveInSource>;
