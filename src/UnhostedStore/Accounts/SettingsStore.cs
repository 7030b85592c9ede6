using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>
/// Reads and writes <see cref="ServerSetting"/> rows: the server-wide settings an admin changes
/// at run time (sign-up policy, required second factor). Read from the database every time, never
/// cached, so a change made on one instance (or by the CLI) holds on all of them at once.
/// </summary>
public sealed class SettingsStore(StorageDbContext db, TimeProvider clock)
{
    /// <summary>The stored value, or null while the setting was never changed.</summary>
    public Task<string?> GetAsync(string name, CancellationToken ct) =>
        db.ServerSettings.AsNoTracking()
            .Where(s => s.Name == name)
            .Select(s => s.Value)
            .FirstOrDefaultAsync(ct);

    public async Task SetAsync(string name, string value, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (await UpdateAsync(name, value, now, ct) > 0)
        {
            return;
        }

        try
        {
            db.ServerSettings.Add(new ServerSetting { Name = name, Value = value, UpdatedUtc = now });
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance inserted the row meanwhile: this later change still wins.
            db.ChangeTracker.Clear();
            await UpdateAsync(name, value, now, ct);
        }
    }

    /// <summary>Writes the row again inside the caller's transaction, which holds its row lock
    /// until it ends: transactions that all start with this run one after another. The row must
    /// exist (<see cref="SetAsync"/> it once before the transaction).</summary>
    public Task<int> TouchAsync(string name, CancellationToken ct) =>
        db.ServerSettings.Where(s => s.Name == name)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.UpdatedUtc, clock.GetUtcNow().UtcDateTime), ct);

    private Task<int> UpdateAsync(string name, string value, DateTime now, CancellationToken ct) =>
        db.ServerSettings.Where(s => s.Name == name)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Value, value).SetProperty(s => s.UpdatedUtc, now), ct);
}
