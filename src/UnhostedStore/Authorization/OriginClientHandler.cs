using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace UnhostedStore.Authorization;

/// <summary>
/// draft-26 §10: apps are not registered; the server MUST ignore client_id and identify the app
/// by the origin of its redirect_uri. This runs before OpenIddict's client validation, rewrites
/// client_id to that origin, and makes sure an application entry exists for it, so every
/// built-in check (redirect, PKCE, permissions, code redemption, revocation) works unchanged.
/// </summary>
public sealed class OriginClientHandler(IServiceScopeFactory scopes) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
            .UseSingletonHandler<OriginClientHandler>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateClientIdParameter.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        if (!ClientOrigin.TryParseRedirectUri(context.Request.RedirectUri, out var origin, out var error))
        {
            // RFC 6749 §4.1.2.1: never redirect to an invalid redirect_uri; OpenIddict shows
            // errors raised here locally.
            context.Reject(Errors.InvalidRequest, "The redirect_uri is not acceptable: " + error + ".");
            return;
        }

        context.Request.ClientId = origin!.Value;
        await ClientApplications.EnsureAsync(scopes, origin.Value, context.CancellationToken);
    }
}

/// <summary>For the code flow, the token request's client is the redirect_uri's origin too.</summary>
public sealed class TokenRequestOriginHandler : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseSingletonHandler<TokenRequestOriginHandler>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateClientIdParameter.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        if (context.Request.IsAuthorizationCodeGrantType())
        {
            if (!ClientOrigin.TryParseRedirectUri(context.Request.RedirectUri, out var origin, out _))
            {
                context.Reject(Errors.InvalidGrant, "The redirect_uri is missing or not acceptable.");
                return default;
            }

            context.Request.ClientId = origin!.Value;
        }

        return default;
    }
}

/// <summary>One OpenIddict application entry per app origin, created on first sight.</summary>
public static class ClientApplications
{
    public static async Task<string> EnsureAsync(IServiceScopeFactory scopes, string origin, CancellationToken ct)
    {
        // A separate scope: a failed concurrent insert must not leave a cached miss in the
        // request's own context (see shared/design/oauth-openiddict.md, pitfall 5).
        for (var attempt = 0; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            if (await manager.FindByClientIdAsync(origin, ct) is { } existing)
            {
                return (await manager.GetIdAsync(existing, ct))!;
            }

            try
            {
                var created = await manager.CreateAsync(Descriptor(origin), ct);
                return (await manager.GetIdAsync(created, ct))!;
            }
            catch (Exception e) when (attempt < 2 && e is OpenIddictExceptions.ConcurrencyException or DbUpdateException)
            {
                // Another request created it first; read it in a fresh scope.
            }
        }
    }

    private static OpenIddictApplicationDescriptor Descriptor(string origin) => new()
    {
        ClientId = origin,
        DisplayName = origin,
        ClientType = ClientTypes.Public,
        ApplicationType = ApplicationTypes.Web,
        Permissions =
        {
            Permissions.Endpoints.Authorization,
            Permissions.Endpoints.Token,
            Permissions.GrantTypes.Implicit,
            Permissions.GrantTypes.AuthorizationCode,
            Permissions.Prefixes.GrantType + OperatorGrant.Type,
            Permissions.ResponseTypes.Token,
            Permissions.ResponseTypes.Code,
        },
    };
}

/// <summary>
/// The grant type the admin CLI uses to mint a token for a grant it created. It only works
/// in-process: the token endpoint accepts it only when <see cref="OperatorGrantFeature"/> is
/// present, which no HTTP request can set.
/// </summary>
public static class OperatorGrant
{
    public const string Type = "urn:unhostedstore:grant-type:operator";
}

public sealed record OperatorGrantFeature(string UserName, string AuthorizationId, ScopeSet Scopes, TimeSpan Lifetime);
