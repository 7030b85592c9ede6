using UnhostedStore.Blobs;

namespace UnhostedStore.Storage;

/// <summary>
/// Every answer a storage request can get, as a value. <see cref="StorageResponder"/> turns each
/// case into status and headers in one exhaustive switch. The constructor is private, so the set
/// of cases is closed.
/// </summary>
public abstract record StorageOutcome
{
    private StorageOutcome()
    {
    }

    /// <summary>200 (or 206 with <paramref name="Range"/>) with a document body. <paramref name="Body"/>
    /// is the opened blob (positioned at the range), or null for HEAD; the responder disposes it.</summary>
    public sealed record DocumentFound(DocumentVersion Document, ByteRange? Range, bool Public, Stream? Body) : StorageOutcome;

    /// <summary>200 with a folder listing already serialized.</summary>
    public sealed record FolderListed(ETag ETag, ReadOnlyMemory<byte> Body) : StorageOutcome;

    public sealed record NotModified(ETag ETag, bool Public) : StorageOutcome;

    public sealed record Created(ETag ETag) : StorageOutcome;

    public sealed record Updated(ETag ETag) : StorageOutcome;

    public sealed record Deleted(ETag ETag) : StorageOutcome;

    public sealed record Preflight : StorageOutcome;

    public sealed record NotFound : StorageOutcome;

    /// <summary>412, with the current version when there is one (draft-26 §6).</summary>
    public sealed record PreconditionFailed(ETag? Current) : StorageOutcome;

    /// <summary>409: a document and a folder would share a name (draft-26 §4).</summary>
    public sealed record Conflict(string Reason) : StorageOutcome;

    public sealed record BadRequest(string Reason) : StorageOutcome;

    /// <summary>401 (RFC 6750 §3): <paramref name="TokenSent"/> adds error="invalid_token".</summary>
    public sealed record Unauthorized(bool TokenSent) : StorageOutcome;

    /// <summary>403: a token for another user's storage, or without a covering scope.</summary>
    public sealed record Forbidden(string Reason, bool InsufficientScope) : StorageOutcome;

    public sealed record MethodNotAllowed : StorageOutcome;

    public sealed record PayloadTooLarge(long Limit) : StorageOutcome;

    public sealed record UriTooLong : StorageOutcome;

    /// <summary>507 (draft-26 §5): the write would take the user past their quota.</summary>
    public sealed record InsufficientStorage(long QuotaBytes) : StorageOutcome;

    public sealed record RangeNotSatisfiable(long Length) : StorageOutcome;

    public sealed record NotImplemented(string Reason) : StorageOutcome;

    /// <summary>429 (draft-26 §5): this client sent too much; try again after <paramref name="RetryAfter"/>.</summary>
    public sealed record TooManyRequests(TimeSpan RetryAfter, string? Reason = null) : StorageOutcome;

    /// <summary>503: the database or the blob store is unreachable; try again shortly.</summary>
    public sealed record ServiceUnavailable(string Reason) : StorageOutcome;

    /// <summary>The handler wrote the whole response itself (a change stream); nothing more is written.</summary>
    public sealed record Streamed : StorageOutcome;

    /// <summary>The client went away mid-request; nothing is written to it.</summary>
    public sealed record Aborted : StorageOutcome;

    /// <summary>A write of an all-or-nothing batch (a move) that was rolled back because the write
    /// at <paramref name="FailedPath"/> was refused with <paramref name="Reason"/>. Never an HTTP answer.</summary>
    public sealed record NotApplied(StoragePath FailedPath, StorageOutcome? Reason) : StorageOutcome;
}

/// <summary>What the metadata says about one stored document version: its bytes are either
/// in <paramref name="Inline"/> (small documents) or in the blob <paramref name="BlobKey"/>.</summary>
public sealed record DocumentVersion(
    ETag ETag,
    string ContentType,
    long ContentLength,
    DateTime LastModifiedUtc,
    string? BlobKey,
    byte[]? Inline);
