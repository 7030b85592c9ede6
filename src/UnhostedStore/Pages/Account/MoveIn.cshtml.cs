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

/// <summary>
/// What the page remembers between sending the person to the old server and its answer. For
/// the code grant also the token endpoint, the PKCE verifier (RFC 7636 §4.1: kept here, in the
/// encrypted cookie, never in a URL) and the client_id, which with the redirect_uri derived
/// from it must be sent again when the code is redeemed (RFC 6749 §4.1.3).
/// </summary>
public sealed record MoveInPending(
    string State,
    string Owner,
    string Address,
    string StorageRoot,
    DateTime ExpiresUtc,
    string? TokenEndpoint = null,
    string? CodeVerifier = null,
    string? ClientId = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsCodeGrant => TokenEndpoint is not null && CodeVerifier is not null && ClientId is not null;
}

/// <summary>
/// Move in from another remoteStorage server: WebFinger on the old address, then the old
/// server's OAuth page with us as the app (scope <c>*:r</c>): the authorization code grant with
/// PKCE S256 (RFC 6749 §4.1, RFC 7636) when the old server announces a token endpoint
/// (draft-26 §10.1), else the implicit grant (RFC 6749 §4.2); then a job that copies
/// everything (<see cref="MoveInCopier"/>); the page polls its status. The state parameter
/// (RFC 6749 §10.12) lives in a data-protected cookie bound to the user.
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
        var origin = urls.AccountOrigin(Request);
        var verifier = old.TokenEndpoint is null ? null : MoveInPkce.NewVerifier();
        var pending = new MoveInPending(state, Owner, old.Address, old.StorageRoot.AbsoluteUri, DateTime.UtcNow.AddMinutes(30),
            old.TokenEndpoint?.AbsoluteUri, verifier, verifier is null ? null : origin);
        Response.Cookies.Append(CookieName, Protector(protection).Protect(JsonSerializer.Serialize(pending)), new CookieOptions
        {
            HttpOnly = true,
            Secure = Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/account/move-in",
            MaxAge = TimeSpan.FromMinutes(30),
        });

        var query = new Dictionary<string, string?>
        {
            ["client_id"] = origin,
            ["redirect_uri"] = RedirectUri(origin),
            ["response_type"] = verifier is null ? "token" : "code",
            ["scope"] = "*:r",
            ["state"] = state,
        };
        if (verifier is not null)
        {
            query["code_challenge"] = MoveInPkce.Challenge(verifier);
            query["code_challenge_method"] = MoveInPkce.Method;
        }

        AuthorizeUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(old.AuthorizeUrl.AbsoluteUri, query);
        OldHost = old.AuthorizeUrl.Authority;
        return Page();
    }

    /// <summary>Our redirect_uri, the same in the authorization and the token request.</summary>
    public static string RedirectUri(string origin) => origin + CallbackPath;

    private string Owner => User.Identity!.Name!;
}
