using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using UnhostedStore.AbuseLimits;

namespace UnhostedStore.Storage;

/// <summary>The document operations (draft-26 §5): GET and HEAD, PUT, DELETE.</summary>
public static class DocumentHandlers
{
    public static async Task<StorageOutcome> GetAsync(StorageRequest request)
    {
        var reads = request.Services.GetRequiredService<DocumentReads>();
        // draft-26 §14: public URLs are capabilities, so guessing them is held back for every
        // reader but the owner, whatever credential (none, another user's, an invalid one) came.
        if (!request.ByOwner && request.Path.IsUnderPublic)
        {
            return await GetPublicAsync(request, reads);
        }

        var recheck = request.Credentials.Recheck;
        var outcome = await reads.GetDocumentAsync(request.Owner, request.Path, request.Conditions, RangeOf(request.Context.Request), openBody: !request.IsHead, request.Aborted, recheck: recheck);
        if (recheck is { StillValid: false })
        {
            // The token was revoked (elsewhere, before this request): answered as any invalid
            // token is, which reads a public document as anyone does.
            if (request.Path.IsUnderPublic)
            {
                StorageAccess.ForgetRevoked(request.Context, request.Credentials);
                return await GetPublicAsync(request, reads);
            }

            return StorageAccess.RefuseRevoked(request.Context, request.Credentials);
        }

        return outcome;
    }

    /// <summary>
    /// A read of a public document by anyone but its owner. draft-26 §14: servers SHOULD stop
    /// brute-force guessing of public URLs, so each client IP may miss only a few times a minute.
    /// </summary>
    private static async Task<StorageOutcome> GetPublicAsync(StorageRequest request, DocumentReads reads)
    {
        var limiter = request.Services.GetRequiredService<StorageRateLimiter>();
        if (limiter.CheckPublicMisses(request.Context) is { } retryAfter)
        {
            return new StorageOutcome.TooManyRequests(retryAfter);
        }

        var outcome = await reads.GetDocumentAsync(request.Owner, request.Path, request.Conditions, RangeOf(request.Context.Request), openBody: !request.IsHead, request.Aborted, byOwner: false);
        if (outcome is StorageOutcome.NotFound)
        {
            limiter.RecordPublicMiss(request.Context);
        }

        return outcome;
    }

    public static async Task<StorageOutcome> PutAsync(StorageRequest r)
    {
        var request = r.Context.Request;

        // RFC 9110 §14.5 (draft-26 §5): a partial PUT must be refused, not stored whole.
        if (request.Headers.ContentRange.Count > 0)
        {
            return new StorageOutcome.BadRequest("Content-Range is not allowed on PUT");
        }

        if (!ContentTypes.TryValidate(request.Headers.ContentType, out var contentType, out var contentTypeError))
        {
            return new StorageOutcome.BadRequest(contentTypeError!);
        }

        var options = r.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        if (request.ContentLength is { } declared && declared > options.MaxDocumentBytes)
        {
            return new StorageOutcome.PayloadTooLarge(options.MaxDocumentBytes);
        }

        // RFC 9110 §13.2.1: preconditions are evaluated after the request's own checks, and a
        // write whose precondition cannot be evaluated is not performed.
        if (r.Conditions.Unparseable is not null)
        {
            return new StorageOutcome.PreconditionFailed(null);
        }

        // Our own limit applies (LengthLimitedStream), streaming; Kestrel's global cap would
        // answer 413 without CORS headers.
        if (r.Context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var body = new CountingReadStream(request.Body);
        request.Body = body;
        var outcome = await r.Services.GetRequiredService<DocumentWrites>()
            .PutAsync(r.Owner, r.Path, contentType!, body, request.ContentLength, r.Conditions, r.Aborted, r.Credentials.Grant?.Client, r.Credentials.Grant?.TokenId);
        return RefusedByCommit(r, outcome);
    }

    public static async Task<StorageOutcome> DeleteAsync(StorageRequest request)
    {
        // RFC 9110 §13.2.1: a write whose precondition cannot be evaluated is not performed,
        // even where a missing document would otherwise answer 404.
        if (request.Conditions.Unparseable is not null)
        {
            return new StorageOutcome.PreconditionFailed(null);
        }

        var outcome = await request.Services.GetRequiredService<DocumentWrites>()
            .DeleteAsync(request.Owner, request.Path, request.Conditions, request.Aborted, request.Credentials.Grant?.Client, tokenId: request.Credentials.Grant?.TokenId);
        return RefusedByCommit(request, outcome);
    }

    /// <summary>The commit found the write's token revoked (<see cref="PendingWrite.TokenId"/>):
    /// answered as any invalid token is.</summary>
    private static StorageOutcome RefusedByCommit(StorageRequest request, StorageOutcome outcome) =>
        outcome is StorageOutcome.Unauthorized ? StorageAccess.RefuseRevoked(request.Context, request.Credentials) : outcome;

    private static string? RangeOf(HttpRequest request) => request.Headers.Range.Count == 1 ? request.Headers.Range[0] : null;
}
