using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>What an administrator does to a whole storage, outside the protocol.</summary>
public sealed class StorageAdmin(StorageDbContext db, IBlobStore blobs, ILogger<StorageAdmin> logger)
{
    /// <summary>
    /// Deletes a user's whole storage: every document and folder row and the usage row in one
    /// transaction (for small storages; erasing a whole account goes in bounded batches through
    /// DataFreedom's AccountEraser instead), under the user's row lock so no write of
    /// that user interleaves; then the blobs, which nothing points at any more.
    /// </summary>
    public async Task<(long Documents, long Bytes)> DeleteAllAsync(string owner, CancellationToken ct)
    {
        List<string> keys;
        long documents;
        long bytes;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var account = await UserLock.TakeAsync(db, owner, ct);
            documents = account.DocumentCount;
            bytes = account.UsedBytes;
            keys = await db.Nodes.AsNoTracking()
                .Where(n => n.Owner == owner && !n.IsFolder && n.BlobKey != null)
                .Select(n => n.BlobKey!)
                .ToListAsync(ct);
            await db.Nodes.Where(n => n.Owner == owner).ExecuteDeleteAsync(ct);
            await db.ModuleUsage.Where(m => m.Owner == owner).ExecuteDeleteAsync(ct);
            await db.Accounts.Where(a => a.UserName == owner).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
        }

        // The row UserLock attached is gone now.
        db.ChangeTracker.Clear();
        foreach (var key in keys)
        {
            await blobs.DeleteQuietlyAsync(logger, key);
        }

        return (documents, bytes);
    }
}
