using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>Where an account stands: in use, disabled by an admin, or leaving (scheduled for
/// erasure, <see cref="PendingDeletions"/>). Leaving wins when both hold.</summary>
public enum AccountState
{
    Active,
    Disabled,
    Leaving,
}

/// <summary>
/// The questions login, the session check and token issuing ask about an account an admin
/// disabled (<see cref="UserAccount.DisabledUtc"/>). Disabling and enabling, which also set its
/// apps' grants aside, live in Authorization (<c>AccountDisabling</c>).
/// </summary>
public static class AccountStates
{
    public static Task<bool> IsDisabledAsync(StorageDbContext db, string userName, CancellationToken ct) =>
        db.Users.AsNoTracking().AnyAsync(u => u.UserName == userName && u.DisabledUtc != null, ct);

    /// <summary>Disabled or leaving, in one query: what every page request of a session asks.</summary>
    public static Task<bool> IsBlockedAsync(StorageDbContext db, string userName, CancellationToken ct) =>
        db.AccountDeletions.AsNoTracking().Where(d => d.UserName == userName).Select(d => 1)
            .Concat(db.Users.AsNoTracking().Where(u => u.UserName == userName && u.DisabledUtc != null).Select(u => 1))
            .AnyAsync(ct);

    public static AccountState Of(DateTime? disabledUtc, bool leaving) =>
        leaving ? AccountState.Leaving : disabledUtc is not null ? AccountState.Disabled : AccountState.Active;

    public static string Describe(AccountState state) => state switch
    {
        AccountState.Disabled => "disabled",
        AccountState.Leaving => "being deleted",
        _ => "active",
    };
}
