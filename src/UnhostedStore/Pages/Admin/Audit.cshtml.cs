using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Shared;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// The audit log for administrators (<see cref="UserAccount.IsAdmin"/>): every account's events,
/// newest first, filtered by account, kind or category, and days (ASVS V7.1, V7.2). Without a
/// session the login page comes first; a logged-in person who is not an administrator gets a
/// plain 403 page (not the login page, which the cookie handler's Forbid would show). The
/// check is here, on the page, so that the page stands on its own.
/// </summary>
[Authorize]
public sealed class AuditModel(UserManager<UserAccount> users, AuditLog log, TimeProvider clock) : PageModel
{
    public const string PagePath = "/admin/audit";

    public AuditListing? Listing { get; private set; }

    /// <summary>Set when the person is logged in but not an administrator.</summary>
    public bool Denied { get; private set; }

    public async Task<IActionResult> OnGetAsync(
        [FromQuery] string? user,
        [FromQuery] string? kind,
        [FromQuery] string? from,
        [FromQuery] string? to,
        [FromQuery] int? page,
        CancellationToken ct)
    {
        if (await users.GetUserAsync(User) is not { } account)
        {
            return Challenge();
        }

        // The log names accounts and addresses: no cache keeps a copy.
        Response.Headers.CacheControl = "no-store";
        if (!account.IsAdmin)
        {
            Denied = true;
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }

        Listing = await AuditListing.LoadAsync(
            log,
            new AuditQuery(user, kind, from, to, page ?? 1),
            new AuditFilter(),
            PagePath,
            forAdmin: true,
            account.UserName!,
            clock.GetUtcNow().UtcDateTime,
            ct);
        return Page();
    }
}
