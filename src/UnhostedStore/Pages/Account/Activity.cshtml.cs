using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Shared;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// The person's own activity: their account's events from the audit log (sign-ins and refused
/// attempts, security changes, apps, share links, …), as the admin page shows them but only
/// theirs (by account id, so a later account of the same name sees nothing of an erased one).
/// </summary>
[Authorize]
public sealed class ActivityModel(UserManager<UserAccount> users, AuditLog log, TimeProvider clock, IOptions<AccountOptions> options) : PageModel
{
    public const string PagePath = "/account/activity";

    public AuditListing Listing { get; private set; } = null!;

    public int RetentionDays => options.Value.AuditRetentionDays;

    public async Task<IActionResult> OnGetAsync(
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

        Response.Headers.CacheControl = "no-store";
        Listing = await AuditListing.LoadAsync(
            log,
            new AuditQuery(User: null, kind, from, to, page ?? 1),
            new AuditFilter(UserId: account.Id),
            PagePath,
            forAdmin: false,
            account.UserName!,
            clock.GetUtcNow().UtcDateTime,
            ct);

        // The language switch comes back to the list as read: a `user` in the query is ignored
        // here, and the page does not echo another account's name.
        ViewData["CultureReturnUrl"] = Listing.LinkTo(Listing.Page);
        return Page();
    }
}
