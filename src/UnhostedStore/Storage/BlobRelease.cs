using Microsoft.EntityFrameworkCore;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// Deletes blobs that a committed transaction stopped using: the version an overwrite replaced
/// (without history), versions purged from history, versions deleted for good. A blob key may be
/// named by several rows at once (a restore points a document at the blob of the version it
/// brings back, and a later overwrite keeps that key in a new version row), so every deletion
/// first asks whether any document or version row still names the key. That check is sound
/// because a new reference to an existing key is only ever made under the owner's row lock
/// (<see cref="Accounts.UserLock"/>) from a row that still holds it, and this runs after the
/// commit that dropped the reference. An export hold (<see cref="BlobHolds"/>) still defers the
/// deletion to the orphan sweeper.
/// </summary>
public sealed partial class BlobRelease(IServiceScopeFactory scopes, IBlobStore blobs, TimeProvider clock, ILogger<BlobRelease> logger)
{
    /// <summary>What a "held" answer looks like in <see cref="CheckAsync"/>'s one query (never a blob key).</summary>
    private const string HeldMarker = "";

    /// <summary>
    /// Deletes each of <paramref name="keys"/> that no row names, unless an export of
    /// <paramref name="owner"/> holds its blobs. Never throws: the commit that freed the keys is
    /// done, and a blob left behind is an orphan the sweeper removes later.
    /// </summary>
    public async Task DeleteUnreferencedAsync(string owner, IReadOnlyCollection<string>? keys)
    {
        if (keys is not { Count: > 0 })
        {
            return;
        }

        HashSet<string> keep;
        try
        {
            // Its own context: the caller's may belong to a write batch that is still in use.
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
            keep = await CheckAsync(db, owner, keys, CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or DbUpdateException)
        {
            LogCheckFailed(logger, owner, e);
            return;
        }

        if (keep.Contains(HeldMarker))
        {
            return;
        }

        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            if (!keep.Contains(key))
            {
                await blobs.DeleteQuietlyAsync(logger, key);
            }
        }
    }

    /// <summary>The keys of <paramref name="keys"/> that a document or a retained version names:
    /// those must not be deleted. One query, for any number of keys (in pages of 500).</summary>
    public static async Task<HashSet<string>> ReferencedAsync(StorageDbContext db, IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var page in keys.Distinct(StringComparer.Ordinal).Chunk(500))
        {
            var list = page.ToList();
            var found = await db.Nodes.AsNoTracking().Where(n => n.BlobKey != null && list.Contains(n.BlobKey)).Select(n => n.BlobKey!)
                .Concat(db.DocumentVersions.AsNoTracking().Where(v => v.BlobKey != null && list.Contains(v.BlobKey)).Select(v => v.BlobKey!))
                .ToListAsync(ct);
            referenced.UnionWith(found);
        }

        return referenced;
    }

    /// <summary>The referenced keys, plus <see cref="HeldMarker"/> when an export holds the
    /// owner's blobs: both questions in one round trip, as the write path asked one before.</summary>
    private async Task<HashSet<string>> CheckAsync(StorageDbContext db, string owner, IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        if (keys.Count > 500)
        {
            var referenced = await ReferencedAsync(db, keys, ct);
            var now = clock.GetUtcNow().UtcDateTime;
            if (await db.BlobHolds.AsNoTracking().AnyAsync(h => h.Owner == owner && h.ExpiresUtc > now, ct))
            {
                referenced.Add(HeldMarker);
            }

            return referenced;
        }

        var list = keys.Distinct(StringComparer.Ordinal).ToList();
        var at = clock.GetUtcNow().UtcDateTime;
        var found = await db.Nodes.AsNoTracking().Where(n => n.BlobKey != null && list.Contains(n.BlobKey)).Select(n => n.BlobKey!)
            .Concat(db.DocumentVersions.AsNoTracking().Where(v => v.BlobKey != null && list.Contains(v.BlobKey)).Select(v => v.BlobKey!))
            .Concat(db.BlobHolds.AsNoTracking().Where(h => h.Owner == owner && h.ExpiresUtc > at).Select(h => HeldMarker))
            .ToListAsync(ct);
        return found.ToHashSet(StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check whether blobs {Owner} no longer uses are still referenced; they stay for the orphan sweeper")]
    private static partial void LogCheckFailed(ILogger logger, string owner, Exception exception);
}
