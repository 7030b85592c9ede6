using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.DataFreedom.MoveIn;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// The redirect_uri of the move-in. The implicit grant puts the token in the fragment
/// (RFC 6749 §4.2.2), which never reaches a server, so <c>/js/move-in.js</c> posts it here with
/// the antiforgery token; the state must match the one in the page's cookie (RFC 6749 §10.12).
/// </summary>
[Authorize]
public sealed class MoveInCallbackModel(MoveInCopier copier, MoveInJobs jobs, IDataProtectionProvider protection) : PageModel
{
    [BindProperty(Name = "access_token")]
    public string? AccessToken { get; set; }

    [BindProperty(Name = "state")]
    public string? State { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var pending = ReadPending();
        if (pending is null || pending.Owner != User.Identity!.Name || pending.ExpiresUtc < DateTime.UtcNow)
        {
            Error = "This answer of the old server does not belong to a move-in you started here (or it took longer than 30 minutes). Start again.";
            return Page();
        }

        if (State is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(State), Encoding.UTF8.GetBytes(pending.State)))
        {
            Error = "The old server's answer does not match the move-in you started (the state differs). Start again.";
            return Page();
        }

        if (string.IsNullOrEmpty(AccessToken) || AccessToken.Length > 4096 || AccessToken.Any(c => c <= ' ' || c > '~'))
        {
            Error = "The old server did not give access. Start again and allow reading.";
            return Page();
        }

        Response.Cookies.Delete(MoveInModel.CookieName, new CookieOptions { Path = "/account/move-in" });
        var old = new OldServer(pending.Address, new Uri(pending.StorageRoot), new Uri(pending.StorageRoot));
        var job = await copier.CreateAsync(pending.Owner, old, AccessToken, ct);
        jobs.Start(job.Id);
        return Redirect("/account/move-in?job=" + job.Id);
    }

    private MoveInPending? ReadPending()
    {
        if (!Request.Cookies.TryGetValue(MoveInModel.CookieName, out var value))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<MoveInPending>(MoveInModel.Protector(protection).Unprotect(value));
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }
}
