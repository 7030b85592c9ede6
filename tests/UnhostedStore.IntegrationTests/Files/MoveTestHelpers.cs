using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.History;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Storage;
using UnhostedStore.Storage.Moving;

namespace UnhostedStore.IntegrationTests.Files;

/// <summary>Runs moves on the server and reads what they left.</summary>
internal static class MoveTestHelpers
{
    public const string Label = "Files page";

    public static readonly string[] Types = ["application/octet-stream", "text/plain; charset=utf-8", "image/png", "application/json", "application/x-custom; a=\"b c\""];

    /// <summary>Runs a move with the server's service in a fresh scope, as the page does.</summary>
    public static async Task<MoveReport> MoveAsync(ServerFixture server, string user, string from, string to, IProgress<MoveProgress>? progress = null)
    {
        await using var scope = server.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<Moves>()
            .MoveAsync(user, StoragePath.FromStored(from), StoragePath.FromStored(to), Label, progress, CancellationToken.None);
    }

    /// <summary>Writes <paramref name="documents"/> (path → bytes and type), 16 at a time.</summary>
    public static async Task PutAllAsync(HistoryTestClient client, IReadOnlyDictionary<string, (byte[] Body, string Type)> documents)
    {
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(documents.Select(async d =>
        {
            await gate.WaitAsync();
            try
            {
                var (status, _) = await client.PutAsync(d.Key, d.Value.Body, d.Value.Type);
                Assert.True(status == HttpStatusCode.Created, $"PUT {d.Key}: {status}");
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Every document of a user: path → (ETag, blob key, inline bytes, type, author).</summary>
    public static async Task<Dictionary<string, (string ETag, string? BlobKey, byte[]? Inline, string? Type, string? ModifiedBy)>> DocumentsAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).Nodes.AsNoTracking()
            .Where(n => n.Owner == user && !n.IsFolder)
            .ToDictionaryAsync(n => n.Path, n => (n.ETag, n.BlobKey, n.InlineContent, n.ContentType, n.ModifiedBy), StringComparer.Ordinal);
    }

    /// <summary>Every node path of a user (documents and folders) with its version.</summary>
    public static async Task<Dictionary<string, string>> NodesAsync(ServerFixture server, string user)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).Nodes.AsNoTracking()
            .Where(n => n.Owner == user)
            .ToDictionaryAsync(n => n.Path, n => n.ETag, StringComparer.Ordinal);
    }

    public static async Task SetQuotaAsync(ServerFixture server, string user, long? bytes)
    {
        await using var scope = server.CreateScope();
        await UnhostedStore.Accounts.UserLock.SetQuotaAsync(ServerFixture.Db(scope), user, bytes, CancellationToken.None);
    }

    /// <summary>Bodies of both kinds: up to 16 bytes stay inline in the fixtures, longer ones are blobs.</summary>
    public static byte[] Body(int i) => HistoryTestClient.Bytes(i % 2 == 0 ? 1 + (i % 16) : 17 + (i * 37 % 3000), 1000 + i);
}

/// <summary>An <see cref="IProgress{T}"/> that runs its callback on the reporting thread, in order
/// (<see cref="Progress{T}"/> would post it elsewhere, after the move went on).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public List<T> Reports { get; } = [];

    public void Report(T value)
    {
        Reports.Add(value);
        report(value);
    }
}
