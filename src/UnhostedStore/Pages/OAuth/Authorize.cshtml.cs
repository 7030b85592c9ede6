using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Authorization;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Pages.OAuth;

/// <summary>
/// The auth dialog of draft-26 §10 (OAuth 2.0 authorization endpoint, passthrough from
/// OpenIddict): asks a logged-in user to allow an app origin the requested scopes, for a
/// duration the user picks, and remembers the answer per origin and scopes.
/// </summary>
public sealed class AuthorizeModel(
    IOpenIddictApplicationManager applications,
    Grants grants,
    IOptions<AccountOptions> accounts,
    IStringLocalizer<ConsentText> t, AuditTrail audit) : PageModel
{
    public string Origin { get; private set; } = string.Empty;

    public IReadOnlyList<string> ScopeLines { get; private set; } = [];

    public int DefaultDays { get; private set; }

    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await HandleAsync(decision: null, days: null, ct);

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "decision")] string? decision, [FromForm(Name = "lifetime")] int? lifetime, CancellationToken ct) =>
        await HandleAsync(decision ?? string.Empty, lifetime, ct);

    private async Task<IActionResult> HandleAsync(string? decision, int? days, CancellationToken ct)
    {
        var request = HttpContext.GetOpenIddictServerRequest();
        if (request is null)
        {
            return BadRequest("Not an OAuth 2.0 authorization request.");
        }

        // RFC 6749 §4.2.2.1: an invalid scope is reported to the app (its redirect_uri is valid).
        if (!ScopeSet.TryParse(request.Scope, out var scopes))
        {
            return ForbidWith(Errors.InvalidScope, "The scope must be one or more of <module>:r, <module>:rw, *:r, *:rw.");
        }

        var login = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (!login.Succeeded || login.Principal.Identity?.Name is not { } user)
        {
            return Challenge(new AuthenticationProperties { RedirectUri = ReturnUrl(request) }, IdentityConstants.ApplicationScheme);
        }

        var origin = request.ClientId!;
        var application = await applications.FindByClientIdAsync(origin, ct) ?? throw new InvalidOperationException("The app entry was not created.");
        var applicationId = (await applications.GetIdAsync(application, ct))!;

        if (decision is null)
        {
            // Same origin, scopes already granted: no second question.
            if (await grants.FindCoveringAsync(user, applicationId, scopes, ct) is { } existing)
            {
                return SignIn(grants.CreatePrincipal(user, existing.Id, scopes, existing.ExpiresUtc), OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            }

            Show(request, origin, scopes);
            return Page();
        }

        if (decision != "allow")
        {
            return ForbidWith(Errors.AccessDenied, "The user denied the request.");
        }

        if (days is not { } chosen || !Grants.LifetimeChoices.Contains(chosen))
        {
            Show(request, origin, scopes);
            ModelState.AddModelError(string.Empty, t["Lifetime_Required"]);
            return Page();
        }

        var authorizationId = await grants.CreateAsync(user, applicationId, scopes, chosen, ct);
        await audit.RecordAsync(AuditKind.GrantCreated, user, AuditActor.Person(HttpContext, user), GrantDetail(origin, scopes, chosen));
        var expires = chosen > 0 ? DateTime.UtcNow.AddDays(chosen) : (DateTime?)null;
        return SignIn(grants.CreatePrincipal(user, authorizationId, scopes, expires), OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private void Show(OpenIddictRequest request, string origin, ScopeSet scopes)
    {
        // The form posts here, and we then redirect to the app: CSP form-action must allow both.
        SecurityHeadersMiddleware.AllowFormActionTo(HttpContext, request.RedirectUri);
        Origin = origin;
        ScopeLines = scopes.Scopes.Select(s => Describe(s, t)).ToList();
        DefaultDays = accounts.Value.DefaultGrantDays;
        ViewData["CultureReturnUrl"] = ReturnUrl(request);
        Parameters = request.GetParameters()
            .Where(p => p.Key is not ("decision" or "lifetime" or "__RequestVerificationToken"))
            .Select(p => new KeyValuePair<string, string>(p.Key, p.Value.ToString() ?? string.Empty))
            .ToList();
    }

    /// <summary>What the audit log says about a new grant: the app, what it may do, how long.</summary>
    public static string GrantDetail(string origin, ScopeSet scopes, int days) =>
        $"{origin} may {string.Join(", ", scopes.Scopes.Select(Describe))}, {(days > 0 ? $"for {days} day{(days == 1 ? string.Empty : "s")}" : "until revoked")}.";

    /// <summary>Plain words for one scope (draft-26 §9; `m` also covers /public/m/).</summary>
    public static string Describe(Scope scope) => (scope.IsRoot, scope.CanWrite) switch
    {
        (true, true) => "read and write everything in your storage",
        (true, false) => "read everything in your storage",
        (false, true) => $"read and write your {scope.Module}",
        (false, false) => $"read your {scope.Module}",
    };

    /// <summary>The same, in the language of the page.</summary>
    public static string Describe(Scope scope, IStringLocalizer<ConsentText> t) => (scope.IsRoot, scope.CanWrite) switch
    {
        (true, true) => t["Scope_ReadWriteAll"],
        (true, false) => t["Scope_ReadAll"],
        (false, true) => t["Scope_ReadWrite", scope.Module],
        (false, false) => t["Scope_Read", scope.Module],
    };

    private string ReturnUrl(OpenIddictRequest request)
    {
        var query = QueryString.Create(request.GetParameters()
            .Where(p => p.Key is not ("decision" or "lifetime" or "__RequestVerificationToken"))
            .Select(p => new KeyValuePair<string, string?>(p.Key, p.Value.ToString())));
        return Request.PathBase + Request.Path + query;
    }

    private ForbidResult ForbidWith(string error, string description) =>
        Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}
