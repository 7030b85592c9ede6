using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.Changes;

/// <summary>The change streams' reads of the change log, each in a context of its own.</summary>
public sealed class ChangeLogReader(IServiceScopeFactory scopes)
{
    /// <summary>The user's last sequence number given out: every entry up to it is committed.</summary>
    public async Task<long> LastSeqAsync(string owner, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        return await db.Accounts.AsNoTracking().Where(a => a.UserName == owner).Select(a => (long?)a.ChangeSeq).FirstOrDefaultAsync(ct) ?? 0;
    }

    /// <summary>The user's entries after <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public async Task<List<ChangeEvent>> ReadAfterAsync(string owner, long after, int limit, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        var rows = await db.ChangeLog.AsNoTracking()
            .Where(c => c.Owner == owner && c.Seq > after)
            .OrderBy(c => c.Seq)
            .Take(limit)
            .ToListAsync(ct);
        return rows.ConvertAll(ChangeEvent.From);
    }
}
