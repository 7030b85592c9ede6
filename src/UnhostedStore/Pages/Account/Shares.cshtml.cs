using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Origins;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Sharing;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// The person's share links: each with what it shares, when it was made, when it ends and how
/// often it was opened, with a Revoke button; and the form that makes a new one. The form's
/// handler (<c>POST /account/shares?handler=create</c> with <c>path</c>, <c>expiresDays</c>
/// and an optional <c>password</c>, plus the antiforgery token) is the one way pages create
/// links, so any page may post to it; it answers with this page showing the new URL, once.
/// </summary>
[Authorize]
public sealed class SharesModel(ShareLinks links, StorageDbContext db, PublicUrls urls, IStringLocalizer<ShareText> t, AuditTrail audit) : PageModel
{
    public const string PagePath = "/account/shares";

    public sealed record Row(string Id, string Path, bool IsFolder, DateTime CreatedUtc, DateTime? ExpiresUtc, DateTime? RevokedUtc, ShareState State, bool HasPassword, long Opens, DateTime? LastOpenedUtc);

    public IReadOnlyList<Row> Links { get; private set; } = [];

    /// <summary>Folders of the person's storage, offered while typing a path.</summary>
    public IReadOnlyList<string> Suggestions { get; private set; } = [];

    public string SharePath { get; private set; } = string.Empty;

    public int ExpiresDays { get; private set; } = 7;

    public string? Error { get; private set; }

    /// <summary>The URL of the link just made: shown once, as only its hash is kept.</summary>
    public string? CreatedUrl { get; private set; }

    public string? CreatedPath { get; private set; }

    [TempData]
    public string? Message { get; set; }

    private string Owner => User.Identity!.Name!;

    /// <summary>A page may link here with <c>?path=</c> to fill in the form.</summary>
    public Task OnGetAsync([FromQuery] string? path, CancellationToken ct)
    {
        SharePath = path ?? string.Empty;
        return LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostCreateAsync([FromForm] string? path, [FromForm] int? expiresDays, [FromForm] string? password, CancellationToken ct)
    {
        SharePath = path ?? string.Empty;
        ExpiresDays = expiresDays ?? 0;
        if (!ShareLinks.ExpiryChoices.Contains(ExpiresDays))
        {
            Error = t["Create_ExpiryRequired"];
        }
        else
        {
            var created = await links.CreateAsync(Owner, path, ExpiresDays, password, ct);
            if (created.Succeeded)
            {
                CreatedUrl = urls.AccountOrigin(Request) + SharePaths.Prefix + created.Token;
                await audit.RecordAsync(AuditKind.ShareCreated, Owner, AuditActor.Person(HttpContext, Owner), AuditDetails.ShareCreated(created.Link!, "on the share links page"));
                CreatedPath = created.Link!.Path;
                SharePath = string.Empty;
            }
            else
            {
                Error = created.Error;
            }
        }

        if (Error is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync([FromForm] string? id, CancellationToken ct)
    {
        var revoked = !string.IsNullOrEmpty(id) && ShareTokens.LooksLikeId(id) ? await links.RevokeLinkAsync(Owner, id, ct) : null;
        if (revoked is not null)
        {
            await audit.RecordAsync(AuditKind.ShareRevoked, Owner, AuditActor.Person(HttpContext, Owner), AuditDetails.ShareRevoked(revoked, "on the share links page"));
        }

        Message = revoked is not null
            ? t["Revoked_Done"]
            : t["Revoked_Already"];
        return RedirectToPage();
    }

    public string Expiry(DateTime? expiresUtc) => Words.When(expiresUtc, t["List_EndsWhenRevoked"]);

    private async Task LoadAsync(CancellationToken ct)
    {
        // The page may show a new link's URL: no copy of it stays in any cache.
        Response.Headers.CacheControl = "no-store";
        Links = (await links.ListAsync(Owner, ct))
            .Select(l => new Row(l.Id, l.Path, l.Path.EndsWith('/'), l.CreatedUtc, l.ExpiresUtc, l.RevokedUtc, links.StateOf(l), l.PasswordHash is not null, l.OpenCount, l.LastOpenedUtc))
            .ToList();

        // The top two levels of folders are enough to start from; deeper ones are typed.
        var owner = Owner;
        var top = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && n.IsFolder && n.ParentPath == "/")
            .OrderBy(n => n.Path).Select(n => n.Path).Take(100).ToListAsync(ct);
        var second = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && n.IsFolder && n.ParentPath != null && top.Contains(n.ParentPath))
            .OrderBy(n => n.Path).Select(n => n.Path).Take(300).ToListAsync(ct);
        Suggestions = top.Concat(second).Order(StringComparer.Ordinal).ToList();
    }
}
