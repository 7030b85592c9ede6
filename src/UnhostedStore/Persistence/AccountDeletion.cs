namespace UnhostedStore.Persistence;

public enum AccountDeletionState
{
    /// <summary>Disabled and waiting out the grace period; the person may still cancel.</summary>
    Pending = 0,

    /// <summary>Claimed by an eraser: no way back. Resumed by whichever instance holds the lease.</summary>
    Erasing = 1,
}

/// <summary>
/// One account that is leaving: disabled from <see cref="RequestedUtc"/> on, erased once
/// <see cref="EraseAfterUtc"/> has passed. The row is the erasure's checkpoint too: whoever
/// holds the lease erases in batches, and the last step deletes the row itself.
/// </summary>
public sealed class AccountDeletion
{
    public required string UserName { get; set; }

    public DateTime RequestedUtc { get; set; }

    public DateTime EraseAfterUtc { get; set; }

    public AccountDeletionState State { get; set; }

    /// <summary>The eraser that claimed the deletion; another takes over once the lease ran out.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseUntilUtc { get; set; }

    /// <summary>Blob keys of the last batch of document rows deleted, one a line, until their
    /// blobs are gone too: written in the same transaction that deletes the rows, so a crash
    /// between that commit and the blob deletions loses no key.</summary>
    public string? PendingBlobKeys { get; set; }

    public long DocumentsErased { get; set; }

    public long BytesErased { get; set; }
}
