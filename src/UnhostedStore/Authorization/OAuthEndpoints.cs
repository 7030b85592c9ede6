using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using UnhostedStore.Accounts;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Authorization;

public static class OAuthEndpoints
{
    /// <summary>The token endpoint (RFC 6749 §3.2): code + PKCE for apps, and the in-process
    /// operator grant for the CLI. Any origin may call it (draft-26 §10.1, R23).</summary>
    public static void MapOAuth(this IEndpointRouteBuilder app) =>
        app.MapPost(OAuthServices.TokenPath, (Delegate)ExchangeAsync).RequireCors(OAuthServices.TokenCorsPolicy).DisableAntiforgery();

    private static async Task<IResult> ExchangeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsAuthorizationCodeGrantType())
        {
            // OpenIddict has already checked the code, PKCE, redirect_uri, client and grant.
            var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (result.Principal is not { } principal)
            {
                return Forbid(Errors.InvalidGrant, "The authorization code is no longer valid.");
            }

            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.GrantType == OperatorGrant.Type && context.Features.Get<OperatorGrantFeature>() is { } grant)
        {
            var grants = context.RequestServices.GetRequiredService<Grants>();
            var principal = grants.CreatePrincipal(grant.UserName, grant.AuthorizationId, grant.Scopes, null);
            principal.SetAccessTokenLifetime(grant.Lifetime);
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Forbid(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    public static IResult Forbid(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    public static string? UserName(ClaimsPrincipal principal) => principal.Identity?.Name;
}
