using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>What an admin change found: done, nothing to do, no such account, or refused because
/// it would leave the server without an admin who can log in.</summary>
public enum AdminChange
{
    Done,
    Unchanged,
    NotFound,
    LastAdmin,
}

/// <summary>
/// Who is an admin, and the rule that there is always at least one active admin (one that is
/// neither disabled nor leaving): otherwise nobody could run the server without a shell.
/// Changes that could break the rule (demoting here, disabling in Authorization) run inside
/// <see cref="GuardedAsync{T}"/>: one transaction that first writes the same setting row, so two
/// admins demoting each other at the same moment run one after the other and the second sees
/// the first.
/// </summary>
public sealed class AdminRights(StorageDbContext db, SettingsStore settings)
{
    public const string GuardSetting = "Accounts.AdminGuard";

    /// <summary>Admins other than <paramref name="userName"/> that can log in.</summary>
    public static IQueryable<UserAccount> OtherActiveAdmins(StorageDbContext db, string userName) =>
        db.Users.AsNoTracking().Where(u => u.IsAdmin
            && u.UserName != userName
            && u.DisabledUtc == null
            && !db.AccountDeletions.Any(d => d.UserName == u.UserName));

    /// <summary>Whether <paramref name="userName"/> is an active admin and no other is.</summary>
    public static async Task<bool> IsLastActiveAdminAsync(StorageDbContext db, string userName, CancellationToken ct) =>
        await db.Users.AsNoTracking().AnyAsync(u => u.UserName == userName && u.IsAdmin && u.DisabledUtc == null, ct)
        && !await db.AccountDeletions.AsNoTracking().AnyAsync(d => d.UserName == userName, ct)
        && !await OtherActiveAdmins(db, userName).AnyAsync(ct);

    /// <summary>Runs <paramref name="change"/> in a transaction behind the guard row (see the class).</summary>
    public async Task<T> GuardedAsync<T>(Func<Task<T>> change, CancellationToken ct)
    {
        if (await settings.GetAsync(GuardSetting, ct) is null)
        {
            // Outside the transaction: a failed insert (another instance was first) must not
            // abort it on PostgreSQL.
            await settings.SetAsync(GuardSetting, "taken by every change of admin rights", ct);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await settings.TouchAsync(GuardSetting, ct);
        var result = await change();
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Makes <paramref name="userName"/> an admin, or no longer one; refused for the last
    /// active admin.</summary>
    public Task<AdminChange> SetAdminAsync(string userName, bool isAdmin, CancellationToken ct) => GuardedAsync(
        async () =>
        {
            var current = await db.Users.AsNoTracking().Where(u => u.UserName == userName).Select(u => (bool?)u.IsAdmin).FirstOrDefaultAsync(ct);
            if (current is null)
            {
                return AdminChange.NotFound;
            }

            if (current == isAdmin)
            {
                return AdminChange.Unchanged;
            }

            if (!isAdmin && await IsLastActiveAdminAsync(db, userName, ct))
            {
                return AdminChange.LastAdmin;
            }

            // A new concurrency stamp: Identity then refuses to save a copy of the account read
            // before this change, instead of writing the old flag back.
            await db.Users.Where(u => u.UserName == userName)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.IsAdmin, isAdmin).SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString()), ct);
            return AdminChange.Done;
        },
        ct);
}
