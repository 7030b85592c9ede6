namespace UnhostedStore.Persistence;

/// <summary>
/// One committed change of one document, for the change streams (spec/changes-extension.md):
/// written by the write that made the change, in its transaction, so the log holds exactly the
/// committed changes in commit order. <see cref="Seq"/> counts up per user
/// (<see cref="StorageAccount.ChangeSeq"/> hands the numbers out under the account row lock);
/// it is the event id a client resumes from. Old entries are purged
/// (<c>Storage:ChangeLogRetention</c>); a client that resumes from before the oldest is told to
/// sync in full.
/// </summary>
public sealed class ChangeLogEntry
{
    public required string Owner { get; set; }

    public long Seq { get; set; }

    /// <summary>The document's decoded path (never a folder's).</summary>
    public required string Path { get; set; }

    /// <summary>The new version's unquoted ETag; null when the document was deleted.</summary>
    public string? ETag { get; set; }

    /// <summary>The new version's Content-Type; null when the document was deleted.</summary>
    public string? ContentType { get; set; }

    public bool Deleted { get; set; }

    public DateTime TimeUtc { get; set; }
}
