using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// Invites (<see cref="Invites"/>): make a one-time sign-up link (shown once), see which links
/// are still open and which were used by whom, and withdraw open ones. Links work only while
/// sign-up is by invitation (<see cref="SignupSettings"/>), as for the CLI's <c>users invite</c>.
/// Making and withdrawing a link are recorded in the audit log as the administrator's.
/// </summary>
public sealed class InvitesModel(Invites invites, SignupSettings signup, PublicUrls urls, AuditTrail audit) : PageModel
{
    /// <summary>Used invites listed besides the open ones.</summary>
    public const int RecentlyUsed = 20;

    public IReadOnlyList<InviteRow> List { get; private set; } = [];

    public SignupPolicy Signup { get; private set; }

    public string? NewLink { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Signup != SignupPolicy.Invite)
        {
            ModelState.AddModelError(string.Empty, AdminWords.Text["Invites_OnlyByInvitation"]);
            return Page();
        }

        var token = await invites.CreateAsync(User.Identity!.Name!, ct);
        await audit.RecordAsync(AuditKind.AdminInviteCreated, (string?)null, AuditActor.Admin(HttpContext, User.Identity!.Name!), "A one-time sign-up link, valid 7 days, made on the admin pages.");
        NewLink = urls.AccountOrigin(Request) + Invites.LinkPath(token);
        Response.Headers.CacheControl = "no-store";
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id, CancellationToken ct)
    {
        if (await invites.RevokeAsync(id, ct))
        {
            await audit.RecordAsync(AuditKind.AdminInviteRevoked, (string?)null, AuditActor.Admin(HttpContext, User.Identity!.Name!), "An unused sign-up link, withdrawn on the admin pages.");
            TempData["Message"] = AdminWords.Text["Invites_Withdrawn"].Value;
        }
        else
        {
            TempData["Message"] = AdminWords.Text["Invites_WithdrawnAlready"].Value;
        }

        return RedirectToPage();
    }

    public bool IsExpired(InviteRow invite) => invites.IsExpired(invite);

    private async Task LoadAsync(CancellationToken ct)
    {
        Signup = await signup.GetAsync(ct);
        List = await invites.ListAsync(RecentlyUsed, ct);
    }
}
