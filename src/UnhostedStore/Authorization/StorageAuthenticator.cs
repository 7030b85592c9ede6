using Microsoft.AspNetCore.Authentication;
using UnhostedStore.Persistence;

namespace UnhostedStore.Authorization;

/// <summary>A request's bearer credential: whether one was sent, its hash, and its grant when
/// valid. <paramref name="Recheck"/> is set when the grant was answered from memory that another
/// instance's revocation may not have reached yet: the request's storage read confirms it.</summary>
public readonly record struct StorageCredentials(BearerTokenStatus Status, TokenKey Key, StorageGrant? Grant, TokenRecheck? Recheck = null)
{
    /// <summary>The hash of a token that authenticated, for the limits keyed by token.</summary>
    public TokenKey? ValidKey => Grant is null ? null : Key;
}

/// <summary>
/// Authenticates a bearer token for storage. A token seen before is answered from
/// <see cref="ValidatedTokenCache"/> (no database round trip); any other goes through the
/// <see cref="StorageClaims.Scheme"/> scheme (OpenIddict: token entry and grant entry, both
/// checked in the database) and is cached if valid. Without that scheme no token is valid.
/// <para>When the cache learns of other processes' changes only after they commit (PostgreSQL's
/// notifications), a grant answered from it comes with a <see cref="TokenRecheck"/>: a token
/// revoked anywhere and acknowledged before the request arrived is then refused too, whether or
/// not the notification has been handled yet.</para>
/// </summary>
public sealed class StorageAuthenticator(
    IAuthenticationSchemeProvider schemes,
    ValidatedTokenCache cache,
    GrantUsageTracker usage,
    IAuthChangeFeed changes,
    TimeProvider clock)
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

        // Read before the cache is: every change up to here has dropped its entries already, so
        // only a later one can have revoked a grant the cache is about to answer.
        var handledEpoch = changes.HandledEpoch;
        var (grant, fromCache) = await AuthenticateAsync(context, token, key);
        var recheck = fromCache && changes.Delayed && grant!.TokenId is { } tokenId
            ? new TokenRecheck(tokenId, clock.GetUtcNow().UtcDateTime, handledEpoch)
            : null;
        return new StorageCredentials(status, key, grant, recheck);
    }

    /// <summary>A recheck found the grant no longer valid: its entry goes, so that the token's
    /// next requests are refused by a full validation rather than by another recheck.</summary>
    public void Forget(StorageGrant grant)
    {
        if (grant.TokenId is { } id)
        {
            cache.Invalidate(id);
        }
    }

    private async Task<(StorageGrant? Grant, bool FromCache)> AuthenticateAsync(HttpContext context, string token, TokenKey key)
    {
        _registered ??= await schemes.GetSchemeAsync(StorageClaims.Scheme) is not null;
        if (_registered != true)
        {
            return (null, false);
        }

        if (changes.Refresh() && cache.TryGet(key, out var cached))
        {
            if (cached.AuthorizationId is { } id)
            {
                usage.Record(id);
            }

            return (cached, true);
        }

        // Read before the database is: an invalidation after this point keeps the result out.
        var generation = cache.Generation;

        // Storage leaves the pipeline before the authentication middleware, which would have
        // let OpenIddict set up its per-request state (IAuthenticationRequestHandler); do that here.
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(context, StorageClaims.Scheme) is IAuthenticationRequestHandler handler
            && await handler.HandleRequestAsync())
        {
            return (null, false);
        }

        var result = await context.AuthenticateAsync(StorageClaims.Scheme);
        if (!result.Succeeded || StorageGrant.FromPrincipal(result.Principal) is not { } grant)
        {
            return (null, false);
        }

        cache.TryAdd(key, grant, generation);
        return (grant, false);
    }
}
