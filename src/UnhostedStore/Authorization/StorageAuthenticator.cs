using Microsoft.AspNetCore.Authentication;

namespace UnhostedStore.Authorization;

/// <summary>A request's bearer credential: whether one was sent, its hash, and its grant when valid.</summary>
public readonly record struct StorageCredentials(BearerTokenStatus Status, TokenKey Key, StorageGrant? Grant)
{
    /// <summary>The hash of a token that authenticated, for the limits keyed by token.</summary>
    public TokenKey? ValidKey => Grant is null ? null : Key;
}

/// <summary>
/// Authenticates a bearer token for storage. A token seen before is answered from
/// <see cref="ValidatedTokenCache"/> (no database round trip); any other goes through the
/// <see cref="StorageClaims.Scheme"/> scheme (OpenIddict: token entry and grant entry, both
/// checked in the database) and is cached if valid. Without that scheme no token is valid.
/// </summary>
public sealed class StorageAuthenticator(
    IAuthenticationSchemeProvider schemes,
    ValidatedTokenCache cache,
    GrantUsageTracker usage,
    IAuthChangeFeed changes)
{
    private bool? _registered;

    /// <summary>Reads the request's bearer credential (RFC 6750 §2.1) and, when there is one,
    /// authenticates it: the status, the token's hash (never the token) and the grant if valid.</summary>
    public async Task<StorageCredentials> ReadAsync(HttpContext context)
    {
        var status = BearerToken.Read(context.Request.Headers.Authorization, out var token);
        if (status != BearerTokenStatus.Present)
        {
            return new StorageCredentials(status, default, null);
        }

        var key = TokenKey.Of(token);
        return new StorageCredentials(status, key, await AuthenticateAsync(context, token, key));
    }

    private async Task<StorageGrant?> AuthenticateAsync(HttpContext context, string token, TokenKey key)
    {
        _registered ??= await schemes.GetSchemeAsync(StorageClaims.Scheme) is not null;
        if (_registered != true)
        {
            return null;
        }

        if (changes.Refresh() && cache.TryGet(key, out var cached))
        {
            if (cached.AuthorizationId is { } id)
            {
                usage.Record(id);
            }

            return cached;
        }

        // Read before the database is: an invalidation after this point keeps the result out.
        var generation = cache.Generation;

        // Storage leaves the pipeline before the authentication middleware, which would have
        // let OpenIddict set up its per-request state (IAuthenticationRequestHandler); do that here.
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(context, StorageClaims.Scheme) is IAuthenticationRequestHandler handler
            && await handler.HandleRequestAsync())
        {
            return null;
        }

        var result = await context.AuthenticateAsync(StorageClaims.Scheme);
        if (!result.Succeeded || StorageGrant.FromPrincipal(result.Principal) is not { } grant)
        {
            return null;
        }

        cache.TryAdd(key, grant, generation);
        return grant;
    }
}
