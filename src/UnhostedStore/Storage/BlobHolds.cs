using Microsoft.EntityFrameworkCore;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// Holds a user's blobs back from deletion (<see cref="BlobHold"/>) while something reads them
/// outside the transaction that found them, such as an export streaming the versions its
/// snapshot listed. The write path's after-commit deletion and the orphan sweeper ask here first;
/// what they skip stays an orphan, which the sweeper removes once no hold is left and the blob's
/// grace has passed. Each check opens its own short-lived context: the callers' own contexts may
/// be busy with a write batch.
/// </summary>
public sealed class BlobHolds(IServiceScopeFactory scopes, TimeProvider clock)
{
    /// <summary>Takes a hold on <paramref name="owner"/>'s blobs until <paramref name="lifetime"/>
    /// from now, and drops holds that have expired (left by a crashed process).</summary>
    public async Task<string> TakeAsync(string owner, TimeSpan lifetime, CancellationToken ct)
    {
        var id = BlobKeys.New();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        await db.BlobHolds.Where(h => h.ExpiresUtc <= now).ExecuteDeleteAsync(ct);
        db.BlobHolds.Add(new BlobHold { Id = id, Owner = owner, ExpiresUtc = now + lifetime });
        await db.SaveChangesAsync(ct);
        return id;
    }

    /// <summary>Moves the hold's expiry to <paramref name="lifetime"/> from now.</summary>
    public async Task RefreshAsync(string id, TimeSpan lifetime, CancellationToken ct)
    {
        var expires = clock.GetUtcNow().UtcDateTime + lifetime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        await db.BlobHolds.Where(h => h.Id == id).ExecuteUpdateAsync(s => s.SetProperty(h => h.ExpiresUtc, expires), ct);
    }

    /// <summary>Ends the hold; runs to its end even when the export was cancelled.</summary>
    public async Task ReleaseAsync(string id)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        await db.BlobHolds.Where(h => h.Id == id).ExecuteDeleteAsync(CancellationToken.None);
    }

    /// <summary>True while an unexpired hold exists for <paramref name="owner"/>, or for anyone
    /// when <paramref name="owner"/> is null (an orphan blob no longer says whose it was).</summary>
    public async Task<bool> IsHeldAsync(string? owner, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        var holds = db.BlobHolds.AsNoTracking().Where(h => h.ExpiresUtc > now);
        return await (owner is null ? holds : holds.Where(h => h.Owner == owner)).AnyAsync(ct);
    }
}
