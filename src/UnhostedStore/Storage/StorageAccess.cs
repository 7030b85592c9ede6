using UnhostedStore.AbuseLimits;
using UnhostedStore.Authorization;

namespace UnhostedStore.Storage;

/// <summary>
/// draft-26 §9 access, checked before anything about the stored data is read: public documents
/// are readable by anyone; everything else needs a bearer token of the owner whose scope
/// covers the path's module, for reading or for writing.
/// </summary>
public static class StorageAccess
{
    /// <summary>Null when the request may go on, else the refusal.</summary>
    public static StorageOutcome? Check(HttpContext context, StorageCredentials credentials, string owner, StoragePath path, bool write)
    {
        // An empty or blank header is no credential at all (BearerToken.Read); only a header that
        // names a scheme but not a well-formed token cannot be understood.
        if (credentials.Status == BearerTokenStatus.Malformed)
        {
            return new StorageOutcome.BadRequest("malformed Authorization header");
        }

        // draft-26 §9: public documents (not folders) are readable by anyone.
        if (!write && path.IsDocument && path.IsUnderPublic)
        {
            return null;
        }

        if (credentials.Status == BearerTokenStatus.Absent)
        {
            return new StorageOutcome.Unauthorized(TokenSent: false);
        }

        if (credentials.Grant is not { } grant)
        {
            return RefuseInvalid(context);
        }

        if (!string.Equals(grant.Subject, owner, StringComparison.Ordinal))
        {
            return new StorageOutcome.Forbidden("the token is not valid for this storage", InsufficientScope: false);
        }

        if (!grant.Scopes.Allows(path.Module, write))
        {
            return new StorageOutcome.Forbidden("the token's scope does not cover this path", InsufficientScope: true);
        }

        return null;
    }

    /// <summary>
    /// The answer to a token that the cache still held but the request's own read found revoked
    /// (<see cref="StorageCredentials.Recheck"/>): the same as to any invalid token, and the cache
    /// forgets it.
    /// </summary>
    public static StorageOutcome RefuseRevoked(HttpContext context, StorageCredentials credentials)
    {
        ForgetRevoked(context, credentials);
        return RefuseInvalid(context);
    }

    /// <summary>The cache forgets a token found revoked, so that its next requests get a full validation.</summary>
    public static void ForgetRevoked(HttpContext context, StorageCredentials credentials)
    {
        if (credentials.Grant is { } grant)
        {
            context.RequestServices.GetRequiredService<StorageAuthenticator>().Forget(grant);
        }
    }

    private static StorageOutcome RefuseInvalid(HttpContext context)
    {
        // The token was validated before any limit applied, so a valid one is never refused
        // here for what others behind the same IP did; only failing tokens draw from the
        // IP's failure budget, and once it is empty they get 429 instead of 401.
        var failed = context.RequestServices.GetRequiredService<StorageRateLimiter>().FailedTokens;
        if (failed.Check(context) is { } failedWait)
        {
            return new StorageOutcome.TooManyRequests(failedWait);
        }

        failed.Record(context);
        return new StorageOutcome.Unauthorized(TokenSent: true);
    }
}
