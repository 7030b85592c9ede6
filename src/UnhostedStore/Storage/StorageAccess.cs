using UnhostedStore.AbuseLimits;
using UnhostedStore.Authorization;

namespace UnhostedStore.Storage;

/// <summary>Whether a request may touch a path, and whether it presented a token.</summary>
public readonly record struct AccessResult(StorageOutcome? Refusal, bool TokenSent);

/// <summary>
/// draft-26 §9 access, checked before anything about the stored data is read: public documents
/// are readable by anyone; everything else needs a bearer token of the owner whose scope
/// covers the path's module, for reading or for writing.
/// </summary>
public static class StorageAccess
{
    public static async Task<AccessResult> CheckAsync(HttpContext context, string owner, StoragePath path, bool write)
    {
        var tokenStatus = BearerToken.Read(context.Request.Headers.Authorization, out var token);
        if (tokenStatus == BearerTokenStatus.Malformed)
        {
            return new(new StorageOutcome.BadRequest("malformed Authorization header"), false);
        }

        var tokenSent = tokenStatus == BearerTokenStatus.Present;

        // draft-26 §9: public documents (not folders) are readable by anyone.
        if (!write && path.IsDocument && path.IsUnderPublic)
        {
            return new(null, tokenSent);
        }

        if (!tokenSent)
        {
            return new(new StorageOutcome.Unauthorized(TokenSent: false), false);
        }

        // A client that presented many bad tokens waits before any token of it is looked at,
        // so guessing tokens is slow.
        var limiter = context.RequestServices.GetRequiredService<StorageRateLimiter>();
        if (limiter.FailedTokens.Check(context) is { } failedWait)
        {
            return new(new StorageOutcome.TooManyRequests(failedWait), true);
        }

        var grant = await context.RequestServices.GetRequiredService<StorageAuthenticator>().AuthenticateAsync(context, token);
        if (grant is null)
        {
            limiter.FailedTokens.Record(context);
            return new(new StorageOutcome.Unauthorized(TokenSent: true), true);
        }

        // Only tokens that authenticated get a bucket: unknown ones can't fill memory.
        if (limiter.TryAcquireForToken(token) is { } tokenWait)
        {
            return new(new StorageOutcome.TooManyRequests(tokenWait), true);
        }

        if (!string.Equals(grant.Subject, owner, StringComparison.Ordinal))
        {
            return new(new StorageOutcome.Forbidden("the token is not valid for this storage", InsufficientScope: false), true);
        }

        if (!grant.Scopes.Allows(path.Module, write))
        {
            return new(new StorageOutcome.Forbidden("the token's scope does not cover this path", InsufficientScope: true), true);
        }

        return new(null, true);
    }
}
