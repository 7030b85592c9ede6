using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using UnhostedStore.Accounts;
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

    /// <summary>The longest state echoed back to an app, in characters.</summary>
    public const int MaxStateLength = 8 * 1024;

    public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        if (!ClientOrigin.TryParseRedirectUri(context.Request.RedirectUri, out var origin, out var error))
        {
            // RFC 6749 §4.1.2.1: never redirect to an invalid redirect_uri; OpenIddict shows
            // errors raised here locally.
            context.Reject(Errors.InvalidRequest, "The redirect_uri is not acceptable: " + error + ".");
            return;
        }

        // state is echoed into the Location header: a huge one (a 100 KB state went through a
        // consent POST) makes a response that proxies and browsers refuse. rs.js's states
        // (the app's URL hash, perhaps with rsDiscovery) stay far below this.
        if (context.Request.State is { Length: > MaxStateLength })
        {
            context.Reject(Errors.InvalidRequest, "The state parameter is too long.");
            return;
        }

        // RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA-256(verifier)), 43 characters. No
        // verifier can ever match anything else, so refuse it now instead of issuing a dead code.
        if (context.Request.CodeChallenge is { } challenge && !IsS256Challenge(challenge))
        {
            context.Reject(Errors.InvalidRequest, "The code_challenge must be 43 base64url characters (S256).");
            return;
        }

        context.Request.ClientId = origin!.Value;
        await ClientApplications.EnsureAsync(scopes, origin.Value, context.CancellationToken);
    }

    private static bool IsS256Challenge(string challenge) =>
        challenge.Length == 43 && challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
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
            catch (Exception e) when (attempt < 3 && e is OpenIddictExceptions.ConcurrencyException or OpenIddictExceptions.ValidationException or DbUpdateException)
            {
                // Another request created it first: its insert collided with ours (unique client
                // id), or it committed between our lookup and OpenIddict's own uniqueness check
                // (a validation error). Read it in a fresh scope.
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
