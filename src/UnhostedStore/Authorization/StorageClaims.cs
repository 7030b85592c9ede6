using System.Security.Claims;
using OpenIddict.Abstractions;

namespace UnhostedStore.Authorization;

/// <summary>
/// The seam between authentication and storage: storage authorizes from the principal that
/// the <see cref="Scheme"/> authentication scheme produces, and from nothing else.
/// </summary>
public static class StorageClaims
{
    /// <summary>The authentication scheme storage asks for bearer tokens: OpenIddict's
    /// validation (reference tokens, checked against their token and grant entries).</summary>
    public const string Scheme = OpenIddict.Validation.AspNetCore.OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;

    /// <summary>The account name the token was issued for (OpenID Connect <c>sub</c>).</summary>
    public const string Subject = "sub";

    /// <summary>One claim per granted scope (OpenIddict's private scope claim, <c>oi_scp</c>).</summary>
    public const string Scope = "oi_scp";

    public static string? GetSubject(ClaimsPrincipal principal) => principal.FindFirst(Subject)?.Value;

    /// <summary>The client the token was issued to (OpenIddict's presenter, the <c>client_id</c>),
    /// which here is the app's origin.</summary>
    public static string? GetClient(ClaimsPrincipal principal) =>
        principal.GetPresenters() is { IsDefaultOrEmpty: false } presenters ? presenters[0] : principal.FindFirst("client_id")?.Value;

    public static ScopeSet GetScopes(ClaimsPrincipal principal)
    {
        var scopes = new List<Authorization.Scope>();
        foreach (var claim in principal.FindAll(Scope))
        {
            if (Authorization.Scope.TryParse(claim.Value, out var s))
            {
                scopes.Add(s);
            }
        }

        return ScopeSet.FromScopes(scopes);
    }
}
