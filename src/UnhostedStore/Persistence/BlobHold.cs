namespace UnhostedStore.Persistence;

/// <summary>
/// While a hold for <see cref="Owner"/> exists and has not expired, no blob is deleted on that
/// owner's behalf: the write path leaves the blob a new version replaced, and the orphan sweeper
/// leaves orphans alone. An export reads its metadata under one snapshot and streams the blobs
/// afterwards; the hold keeps every blob that snapshot names readable until the export ends. It
/// lives in the database so that every instance agrees, and it expires so that a crashed export
/// cannot keep blobs forever.
/// </summary>
public sealed class BlobHold
{
    /// <summary>128 random bits as hex, one per export.</summary>
    public required string Id { get; set; }

    public required string Owner { get; set; }

    public DateTime ExpiresUtc { get; set; }
}
