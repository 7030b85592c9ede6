using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Primitives;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// The redirect_uri of the move-in; the state must match the one in the page's cookie (RFC 6749
/// §10.12). The code grant answers in the query (RFC 6749 §4.1.2): the GET redeems the code
/// with the PKCE verifier from the cookie, here on the server. The implicit grant puts the
/// token in the fragment (§4.2.2), which never reaches a server, so <c>/js/move-in.js</c> posts
/// it here with the antiforgery token.
/// </summary>
[Authorize]
public sealed class MoveInCallbackModel(MoveInCopier copier, MoveInJobs jobs, MoveInTokenExchange exchange, IDataProtectionProvider protection, IStringLocalizer<AccountText> t, AuditTrail audit) : PageModel
{
    [BindProperty(Name = "access_token")]
    public string? AccessToken { get; set; }

    [BindProperty(Name = "state")]
    public string? State { get; set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        // Read from the query itself rather than bound as handler arguments, which MVC logs at
        // Trace: the code must not reach a log.
        var query = Request.Query;
        if (query.TryGetValue("error", out var error))
        {
            Error = DeniedMessage(error);
            return Page();
        }

        if (!query.TryGetValue("code", out var code))
        {
            // The implicit grant: the page's script reads the fragment.
            return Page();
        }

        if (CheckPending(query["state"]) is not { } pending)
        {
            return Page();
        }

        if (!pending.IsCodeGrant)
        {
            Error = t["MoveIn_CodeInsteadOfToken"];
            return Page();
        }

        if (code.Count != 1 || code[0] is not { Length: > 0 and <= 4096 } value)
        {
            Error = t["MoveIn_NoAccess"];
            return Page();
        }

        // A code is good for one try (RFC 6749 §4.1.2), so this move-in attempt ends here
        // whatever the token endpoint answers.
        Response.Cookies.Delete(MoveInModel.CookieName, new CookieOptions { Path = "/account/move-in" });
        string token;
        try
        {
            token = await exchange.RedeemAsync(
                new CodeRedemption(new Uri(pending.TokenEndpoint!), value, MoveInModel.RedirectUri(pending.ClientId!), pending.ClientId!, pending.CodeVerifier!), ct);
        }
        catch (MoveInRefusedException e)
        {
            Error = e.Message;
            return Page();
        }

        return await StartAsync(pending, token, ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (CheckPending(State) is not { } pending)
        {
            return Page();
        }

        if (pending.IsCodeGrant)
        {
            // A token in the fragment when a code was asked for is not the answer of this flow.
            Error = t["MoveIn_TokenInsteadOfCode"];
            return Page();
        }

        if (string.IsNullOrEmpty(AccessToken) || AccessToken.Length > MoveInTokenExchange.MaxTokenLength || AccessToken.Any(c => c <= ' ' || c > '~'))
        {
            Error = t["MoveIn_NoAccess"];
            return Page();
        }

        Response.Cookies.Delete(MoveInModel.CookieName, new CookieOptions { Path = "/account/move-in" });
        return await StartAsync(pending, AccessToken, ct);
    }

    private async Task<IActionResult> StartAsync(MoveInPending pending, string token, CancellationToken ct)
    {
        var old = new OldServer(pending.Address, new Uri(pending.StorageRoot), new Uri(pending.StorageRoot));
        var job = await copier.CreateAsync(pending.Owner, old, token, ct);
        jobs.Start(job.Id);
        await audit.RecordAsync(AuditKind.MoveInStarted, pending.Owner, AuditActor.Person(HttpContext, pending.Owner), $"From {pending.Address} ({pending.StorageRoot}), on the account page.");
        return Redirect("/account/move-in?job=" + job.Id);
    }

    /// <summary>The pending move-in this answer belongs to, or null with <see cref="Error"/> set.</summary>
    private MoveInPending? CheckPending(StringValues state)
    {
        var pending = ReadPending();
        if (pending is null || pending.Owner != User.Identity!.Name || pending.ExpiresUtc < DateTime.UtcNow)
        {
            Error = t["MoveIn_NotOurs"];
            return null;
        }

        if (state.Count != 1 || state[0] is not { } given
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(pending.State)))
        {
            Error = t["MoveIn_StateDiffers"];
            return null;
        }

        return pending;
    }

    /// <summary>RFC 6749 §4.1.2.1 error codes in plain words; an unknown one is not echoed.</summary>
    private string DeniedMessage(StringValues error) => t[error.ToString() switch
    {
        "access_denied" => "MoveIn_Denied_access_denied",
        "invalid_scope" => "MoveIn_Denied_invalid_scope",
        "temporarily_unavailable" or "server_error" => "MoveIn_Denied_unavailable",
        _ => "MoveIn_Denied_other",
    }];

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
