using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace UnhostedStore.Authorization;

/// <summary>
/// A replayed authorization code makes OpenIddict revoke, in this request, the tokens the code
/// bought. The database triggers tell the validated-token cache too, but on PostgreSQL that
/// notification arrives asynchronously, after the token response may already have reached the
/// client: a request sent right after could still be answered from the cache. Emptying the cache
/// before the <c>invalid_grant</c> response goes out keeps that revocation immediate, as the
/// account page's and the CLI's are (<see cref="Grants"/>). Such errors are rare, and a cleared
/// cache only costs database lookups.
/// </summary>
public sealed class ReplayedCodeCacheHandler(ValidatedTokenCache cache) : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<ReplayedCodeCacheHandler>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        if (string.Equals(context.Response.Error, Errors.InvalidGrant, StringComparison.Ordinal))
        {
            cache.Clear();
        }

        return default;
    }
}
