using UnhostedStore.Blobs;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// GET and HEAD of a document (draft-26 §5): one prepared single-row read, the conditions,
/// the range, then the bytes from the row itself or from the blob store.
/// </summary>
public sealed class DocumentReads(IBlobStore blobs, HotReads reads)
{
    public async Task<StorageOutcome> GetDocumentAsync(
        string owner, StoragePath path, RequestConditions conditions, string? rangeHeader, bool openBody, CancellationToken ct, bool byOwner = true, TokenRecheck? recheck = null)
    {
        // A writer deletes the previous blob right after its commit, so a reader that saw the
        // old row can find its blob gone: read the row again and serve what is current then.
        string? missingBlob = null;
        while (true)
        {
            var outcome = await ReadDocumentAsync(owner, path, conditions, rangeHeader, byOwner, recheck, ct);
            if (recheck is { StillValid: false })
            {
                // The token is no longer valid: nothing read is served (the caller refuses).
                return new StorageOutcome.Unauthorized(TokenSent: true);
            }

            if (!openBody || outcome is not StorageOutcome.DocumentFound found)
            {
                return outcome;
            }

            if (found.Document.Inline is { } inline)
            {
                var (start, count) = found.Range is { } r ? (r.Start, r.Length) : (0L, inline.Length);
                return found with { Body = new MemoryStream(inline, (int)start, (int)count, writable: false, publiclyVisible: true) };
            }

            try
            {
                var body = await blobs.OpenReadAsync(found.Document.BlobKey!, found.Range, ct);
                return found with { Body = body };
            }
            catch (BlobNotFoundException) when (missingBlob != found.Document.BlobKey)
            {
                missingBlob = found.Document.BlobKey;
            }
        }
    }

    private async Task<StorageOutcome> ReadDocumentAsync(
        string owner, StoragePath path, RequestConditions conditions, string? rangeHeader, bool byOwner, TokenRecheck? recheck, CancellationToken ct)
    {
        // Anyone but the owner sees nothing of an account that is leaving (404, as if absent).
        var node = await reads.FindDocumentAsync(owner, path.Value, ct, onlyIfEnabled: !byOwner, recheck);

        var isPublic = path.IsUnderPublic;
        if (node is null)
        {
            // RFC 9110 §13.1.1: If-Match on a missing resource fails.
            return conditions.IfMatch is not null ? new StorageOutcome.PreconditionFailed(null) : new StorageOutcome.NotFound();
        }

        var etag = ETag.FromStored(node.ETag);
        if (conditions.IfMatch is { } ifMatch && !ifMatch.MatchesStrong(etag))
        {
            return new StorageOutcome.PreconditionFailed(etag);
        }

        if (conditions.IfNoneMatch is { } ifNoneMatch && ifNoneMatch.MatchesWeak(etag))
        {
            return new StorageOutcome.NotModified(etag, isPublic);
        }

        var version = new DocumentVersion(etag, node.ContentType!, node.ContentLength, node.LastModifiedUtc, node.BlobKey, node.InlineContent);
        ByteRange? range = null;
        if (rangeHeader is not null && conditions.RangeApplies(etag))
        {
            switch (RangeHeader.TryParse(rangeHeader, node.ContentLength, out var r))
            {
                case RangeParseStatus.Satisfiable:
                    range = r;
                    break;
                case RangeParseStatus.Unsatisfiable:
                case RangeParseStatus.Malformed:
                    return new StorageOutcome.RangeNotSatisfiable(node.ContentLength);
                case RangeParseStatus.Ignore:
                    break;
            }
        }

        return new StorageOutcome.DocumentFound(version, range, isPublic, null);
    }
}
