using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>What the page remembers between sending the person to the old server and its answer.</summary>
public sealed record MoveInPending(string State, string Owner, string Address, string StorageRoot, DateTime ExpiresUtc);

/// <summary>
/// Move in from another remoteStorage server: WebFinger on the old address, then the old
/// server's OAuth page with us as the app (implicit grant, RFC 6749 §4.2; scope <c>*:r</c>),
/// then a job that copies everything (<see cref="MoveInCopier"/>); the page polls its status.
/// The state parameter (RFC 6749 §10.12) lives in a data-protected cookie bound to the user.
/// </summary>
[Authorize]
public sealed class MoveInModel(MoveInDiscovery discovery, PublicUrls urls, StorageDbContext db, IDataProtectionProvider protection) : PageModel
{
    public const string CookieName = "us-movein";
    public const string CallbackPath = "/account/move-in/callback";

    [BindProperty]
    public string? Address { get; set; }

    public string? Error { get; private set; }

    /// <summary>Where the person goes to allow reading, once the old server is found.</summary>
    public string? AuthorizeUrl { get; private set; }

    public string? OldHost { get; private set; }

    public MoveInJob? Job { get; private set; }

    public List<(string Path, string Why)> Refusals { get; private set; } = [];

    internal static IDataProtector Protector(IDataProtectionProvider protection) => protection.CreateProtector("UnhostedStore.MoveIn.Pending");

    public async Task<IActionResult> OnGetAsync(string? job, CancellationToken ct)
    {
        if (job is not null)
        {
            Job = await db.MoveInJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == job && j.UserName == Owner, ct);
            if (Job is null)
            {
                return NotFound();
            }

            Refusals = MoveInReport.Refusals(Job);
        }

        return Page();
    }

    public async Task<IActionResult> OnGetStatusAsync(string job, CancellationToken ct)
    {
        var found = await db.MoveInJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == job && j.UserName == Owner, ct);
        if (found is null)
        {
            return NotFound();
        }

        return new JsonResult(new
        {
            state = found.State.ToString().ToLowerInvariant(),
            copied = found.Copied,
            skipped = found.Skipped,
            refused = MoveInReport.Refusals(found).Count,
            foldersLeft = found.PendingFolders.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length,
            error = found.Error,
        });
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        OldServer old;
        try
        {
            old = await discovery.DiscoverAsync(Address ?? string.Empty, ct);
        }
        catch (MoveInRefusedException e)
        {
            Error = e.Message;
            return Page();
        }

        var state = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var pending = new MoveInPending(state, Owner, old.Address, old.StorageRoot.AbsoluteUri, DateTime.UtcNow.AddMinutes(30));
        Response.Cookies.Append(CookieName, Protector(protection).Protect(JsonSerializer.Serialize(pending)), new CookieOptions
        {
            HttpOnly = true,
            Secure = Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/account/move-in",
            MaxAge = TimeSpan.FromMinutes(30),
        });

        var origin = urls.AccountOrigin(Request);
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = origin,
            ["redirect_uri"] = origin + CallbackPath,
            ["response_type"] = "token",
            ["scope"] = "*:r",
            ["state"] = state,
        };
        AuthorizeUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(old.AuthorizeUrl.AbsoluteUri, query);
        OldHost = old.AuthorizeUrl.Authority;
        return Page();
    }

    private string Owner => User.Identity!.Name!;
}
