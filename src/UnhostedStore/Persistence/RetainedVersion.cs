namespace UnhostedStore.Persistence;

/// <summary>
/// A document version that is no longer current: kept when a PUT replaced it or a DELETE removed
/// it, so that the owner can undo either. Written in the same transaction as the write that ended
/// it, so a crash leaves either the old state or the new one with the old in history. Its bytes
/// are where they were: <see cref="InlineContent"/> for small documents, else
/// <see cref="BlobKey"/>, a blob that is not deleted while any node or version row names it.
/// The protocol never sees these rows (draft-26 §5–§6 versions are the current ETags only).
/// </summary>
public sealed class RetainedVersion
{
    public long Id { get; set; }

    public required string Owner { get; set; }

    /// <summary>The document's path (never a folder's).</summary>
    public required string Path { get; set; }

    /// <summary>The unquoted strong ETag the version had while it was current.</summary>
    public required string ETag { get; set; }

    public required string ContentType { get; set; }

    public long ContentLength { get; set; }

    /// <summary>The blob holding the bytes, or null when <see cref="InlineContent"/> holds them.</summary>
    public string? BlobKey { get; set; }

    public byte[]? InlineContent { get; set; }

    /// <summary>When this version was written (the replaced node's <c>LastModifiedUtc</c>).</summary>
    public DateTime CreatedUtc { get; set; }

    /// <summary>When the document's life this version belongs to began (the node's
    /// <see cref="StorageNode.BornUtc"/>).</summary>
    public DateTime BornUtc { get; set; }

    /// <summary>Who wrote this version: an app's origin, or a label such as "import".</summary>
    public string? CreatedBy { get; set; }

    /// <summary>When it stopped being current.</summary>
    public DateTime ReplacedUtc { get; set; }

    /// <summary>Who replaced or removed it: an app's origin, or a label such as "account page".</summary>
    public string? ReplacedBy { get; set; }

    /// <summary>Ended by a DELETE: the document is in the trash unless its path exists again.</summary>
    public bool Deleted { get; set; }
}
