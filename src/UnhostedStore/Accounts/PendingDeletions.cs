using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>
/// Whether an account is disabled because it is leaving (<see cref="AccountDeletion"/>): what
/// login, the cookie check and token issuing ask. Scheduling, cancelling and erasing live in
/// DataFreedom; this is only the question, so that every room below it can ask it.
/// </summary>
public static class PendingDeletions
{
    public static Task<AccountDeletion?> FindAsync(StorageDbContext db, string userName, CancellationToken ct) =>
        db.AccountDeletions.AsNoTracking().FirstOrDefaultAsync(d => d.UserName == userName, ct);

    public static Task<bool> IsDisabledAsync(StorageDbContext db, string userName, CancellationToken ct) =>
        db.AccountDeletions.AsNoTracking().AnyAsync(d => d.UserName == userName, ct);

    /// <summary>
    /// Ends a browser session of a leaving or disabled account (<see cref="AccountStates"/>) at
    /// its next page request: the person was logged out where they deleted the account, but
    /// another browser may still hold a cookie, and an admin disables an account while its owner
    /// may be logged in; neither session may reach the account pages or consent to a new app.
    /// </summary>
    public static async Task RejectDisabledAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal?.Identity is not { IsAuthenticated: true, Name: { } name })
        {
            return;
        }

        var db = context.HttpContext.RequestServices.GetRequiredService<StorageDbContext>();
        if (await AccountStates.IsBlockedAsync(db, name, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
        }
    }

    /// <summary>How pages and the CLI write the erasure time: unambiguous, the same everywhere.</summary>
    public static string Describe(DateTime utc) =>
        utc.ToString("d MMMM yyyy, HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
