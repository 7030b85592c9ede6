using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using UnhostedStore.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Authorization;

/// <summary>
/// All of one user's grants at once, for an account that is leaving. Suspending sets every valid
/// grant to <see cref="Suspended"/>: OpenIddict accepts a token only while its grant is
/// <c>valid</c> (authorization entry validation), so each token is refused at its next request,
/// and the database triggers take cached ones out of every instance's validated-token cache
/// (<see cref="AuthChangeFeeds"/>). Restoring turns exactly those grants back to valid, so a
/// cancelled deletion brings every app back without reconnecting; grants the user revoked stay
/// revoked. Set-based statements, so they run inside the caller's transaction.
/// </summary>
public static class AccountGrants
{
    /// <summary>A status of our own: not <c>valid</c>, so refused, and never written by OpenIddict.</summary>
    public const string Suspended = "us_suspended";

    public static Task<int> SuspendAsync(StorageDbContext db, string user, CancellationToken ct) =>
        Authorizations(db, user)
            .Where(a => a.Status == Statuses.Valid)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Suspended), ct);

    public static Task<int> RestoreAsync(StorageDbContext db, string user, CancellationToken ct) =>
        Authorizations(db, user)
            .Where(a => a.Status == Suspended)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Statuses.Valid), ct);

    /// <summary>The status of grants of an account an admin disabled (<see cref="AccountDisabling"/>);
    /// distinct from <see cref="Suspended"/>, so that cancelling a deletion does not bring back the
    /// apps of a disabled account, nor enabling it those of a leaving one.</summary>
    public const string Disabled = "us_disabled";

    /// <summary>Sets every valid or suspended grant aside for a disabled account.</summary>
    public static Task<int> DisableAsync(StorageDbContext db, string user, CancellationToken ct) =>
        Authorizations(db, user)
            .Where(a => a.Status == Statuses.Valid || a.Status == Suspended)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Disabled), ct);

    /// <summary>Gives an enabled account its grants back: valid again, or suspended while it is
    /// still leaving (cancelling the deletion restores them then).</summary>
    public static Task<int> EnableAsync(StorageDbContext db, string user, bool leaving, CancellationToken ct) =>
        Authorizations(db, user)
            .Where(a => a.Status == Disabled)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, leaving ? Suspended : Statuses.Valid), ct);

    public static Task<int> CountAsync(StorageDbContext db, string user, CancellationToken ct) =>
        Authorizations(db, user).CountAsync(ct);

    /// <summary>Deletes the user's tokens, their grants' usage rows and the grants.</summary>
    public static async Task<int> DeleteAllAsync(StorageDbContext db, string user, CancellationToken ct)
    {
        var ids = Authorizations(db, user).Select(a => a.Id);
        await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Subject == user || (t.Authorization != null && t.Authorization.Subject == user))
            .ExecuteDeleteAsync(ct);
        await db.GrantUsage.Where(u => ids.Contains(u.AuthorizationId)).ExecuteDeleteAsync(ct);
        return await Authorizations(db, user).ExecuteDeleteAsync(ct);
    }

    private static IQueryable<OpenIddictEntityFrameworkCoreAuthorization> Authorizations(StorageDbContext db, string user) =>
        db.Set<OpenIddictEntityFrameworkCoreAuthorization>().Where(a => a.Subject == user);
}
