using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.Authorization;

/// <summary>
/// An admin disables an account, or enables it again. Disabling is one transaction: the mark on
/// the account (<see cref="UserAccount.DisabledUtc"/>: login refused, sessions end at their next
/// page, <see cref="PendingDeletions.RejectDisabledAsync"/>), a new security stamp (outstanding
/// password-reset links and old cookies stop working), and every grant set aside
/// (<see cref="AccountGrants.DisableAsync"/>). OpenIddict accepts a token only while its grant is
/// valid, and the grant's status change reaches the validated-token cache of every instance
/// through the database triggers (<see cref="AuthChangeFeeds"/>), so each app token is refused
/// at its very next request. Enabling turns exactly those grants back.
/// </summary>
public sealed class AccountDisabling(StorageDbContext db, AdminRights admins, TimeProvider clock)
{
    /// <summary>Refused (<see cref="AdminChange.LastAdmin"/>) for the last active admin.</summary>
    public Task<AdminChange> DisableAsync(string userName, CancellationToken ct) => admins.GuardedAsync(
        async () =>
        {
            var account = await db.Users.AsNoTracking().Where(u => u.UserName == userName)
                .Select(u => new { u.DisabledUtc }).FirstOrDefaultAsync(ct);
            if (account is null)
            {
                return AdminChange.NotFound;
            }

            if (account.DisabledUtc is not null)
            {
                return AdminChange.Unchanged;
            }

            if (await AdminRights.IsLastActiveAdminAsync(db, userName, ct))
            {
                return AdminChange.LastAdmin;
            }

            var now = clock.GetUtcNow().UtcDateTime;
            await db.Users.Where(u => u.UserName == userName)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(u => u.DisabledUtc, now)
                        .SetProperty(u => u.SecurityStamp, Guid.NewGuid().ToString("N"))
                        .SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString()),
                    ct);
            await AccountGrants.DisableAsync(db, userName, ct);
            return AdminChange.Done;
        },
        ct);

    public async Task<AdminChange> EnableAsync(string userName, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var enabled = await db.Users.Where(u => u.UserName == userName && u.DisabledUtc != null)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.DisabledUtc, (DateTime?)null).SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString()), ct);
        if (enabled == 0)
        {
            return await db.Users.AnyAsync(u => u.UserName == userName, ct) ? AdminChange.Unchanged : AdminChange.NotFound;
        }

        await AccountGrants.EnableAsync(db, userName, await PendingDeletions.IsDisabledAsync(db, userName, ct), ct);
        await tx.CommitAsync(ct);
        return AdminChange.Done;
    }
}
