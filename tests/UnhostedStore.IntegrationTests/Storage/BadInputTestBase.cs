using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// What <see cref="BadInputTableTests"/> and <see cref="BadInputParsingTests"/> share: a seeded
/// user, a snapshot of everything observable about its storage, and the check that a refused
/// request left that snapshot unchanged.
/// </summary>
public abstract class BadInputTestBase
{
    protected const string Origin = "https://bad.example";

    protected static readonly string AllowedMethods = "GET, HEAD, PUT, DELETE, OPTIONS";

    /// <summary>The seeded documents (path, body, Content-Type).</summary>
    protected static readonly (string Path, string Body, string ContentType)[] Seed =
    [
        ("/notes/a", "hello", "text/plain; charset=utf-8"),
        ("/notes/sub/b", "world", "application/json"),
        ("/public/notes/p", "public!", "text/plain"),
    ];

    protected abstract ServerFixture Server { get; }

    protected async Task<(string User, string Token)> SeedAsync()
    {
        var user = ServerFixture.NewUser();
        var token = Server.Tokens.Issue(user, "*:rw");
        foreach (var (path, body, contentType) in Seed)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
            using var response = await Server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        return (user, token);
    }

    /// <summary>
    /// Everything observable about one user's storage: every metadata row (versions, blob keys,
    /// counters), the account row, each document's bytes and headers as served, the listings,
    /// and the set of files in the blob store (tests in one class run one at a time).
    /// </summary>
    protected async Task<string> SnapshotAsync(string user, string token)
    {
        var sb = new StringBuilder();
        await using (var scope = Server.CreateScope())
        {
            var db = ServerFixture.Db(scope);
            var nodes = await db.Nodes.AsNoTracking().Where(n => n.Owner == user).ToListAsync();
            foreach (var n in nodes.OrderBy(n => n.Path, StringComparer.Ordinal))
            {
                sb.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"node {n.Path} {n.ParentPath} {n.IsFolder} {n.ETag} {n.LastModifiedUtc:O} {n.ContentType} {n.ContentLength} {n.BlobKey} {n.ChildCount}");
            }

            var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.UserName == user);
            sb.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"account {account.WriteVersion} {account.UsedBytes} {account.DocumentCount}");
        }

        foreach (var path in Seed.Select(s => s.Path).Concat(["/", "/notes/", "/notes/sub/", "/public/", "/public/notes/", "/notes/evil", "/evil"]))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}{path}").WithToken(token);
            using var response = await Server.Client.SendAsync(request);
            sb.Append("GET ").Append(path).Append(' ').Append((int)response.StatusCode).Append(' ').Append(response.Headers.ETag)
                .Append(' ').Append(response.Content.Headers.ContentType).Append(' ').AppendLine(await response.Content.ReadAsStringAsync());
        }

        foreach (var key in (await Server.StoredBlobKeysAsync()).Order(StringComparer.Ordinal))
        {
            sb.Append("blob ").AppendLine(key);
        }

        foreach (var file in Server.BlobTempFiles().Order(StringComparer.Ordinal))
        {
            sb.Append("temp ").AppendLine(Path.GetFileName(file));
        }

        return sb.ToString();
    }

    /// <summary>
    /// Compares with <paramref name="before"/>, polling up to ~2 s: an aborted or refused upload
    /// may still be cleaning up its temp file when the response (or the reset) arrives.
    /// </summary>
    protected async Task AssertEventuallyUnchangedAsync(string user, string token, string before)
    {
        var deadline = Stopwatch.StartNew();
        string after;
        while ((after = await SnapshotAsync(user, token)) != before && deadline.Elapsed < TimeSpan.FromSeconds(2))
        {
            await Task.Delay(50);
        }

        Assert.Equal(before, after);
    }
}
