namespace UnhostedStore.Storage.History;

/// <summary>
/// One version of a document as its history shows it. The current version has no
/// <paramref name="Id"/> (it is the document itself) and no replacement yet; a retained one has
/// the id to open, restore or delete it by.
/// </summary>
/// <param name="Id">The retained version's id; null for the current version.</param>
/// <param name="CreatedUtc">When this version was written.</param>
/// <param name="CreatedBy">Who wrote it: an app's origin or a label (<see cref="HistoryLabels"/>); null when unknown.</param>
/// <param name="ReplacedUtc">When it stopped being current; null for the current version.</param>
/// <param name="ReplacedBy">Who replaced or deleted it.</param>
/// <param name="Deleted">It was ended by a deletion (it is what the trash holds for the path).</param>
public sealed record VersionInfo(
    long? Id,
    ETag ETag,
    string ContentType,
    long ContentLength,
    DateTime CreatedUtc,
    string? CreatedBy,
    DateTime? ReplacedUtc,
    string? ReplacedBy,
    bool Deleted)
{
    public bool IsCurrent => Id is null;
}

/// <summary>A document's history: the current version (null when the document does not exist
/// now, e.g. it is in the trash) and the retained versions, newest first.</summary>
public sealed record DocumentVersionList(StoragePath Path, VersionInfo? Current, IReadOnlyList<VersionInfo> Retained);

/// <summary>
/// A deleted document whose path does not exist now, as of its latest deletion. Restore it with
/// <see cref="DocumentHistory.RestoreVersionAsync"/> and <paramref name="VersionId"/>.
/// </summary>
/// <param name="Module">The path's module (<c>""</c> for the top level).</param>
/// <param name="Folder">The folder it was in.</param>
/// <param name="VersionId">The version the deletion removed.</param>
public sealed record TrashItem(
    StoragePath Path,
    string Module,
    StoragePath Folder,
    long VersionId,
    DateTime DeletedUtc,
    string? DeletedBy,
    string ContentType,
    long ContentLength);

/// <summary>A retained version's bytes, opened for download or comparison. Dispose it.</summary>
public sealed record OpenedVersion(long Id, StoragePath Path, ETag ETag, string ContentType, long ContentLength, Stream Content) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>How a restore of one version ended.</summary>
public enum RestoreStatus
{
    /// <summary>The version is the document's current one again, under a new ETag.</summary>
    Restored,

    /// <summary>No such version of this owner (or it was purged meanwhile).</summary>
    NotFound,

    /// <summary>The document changed after the restore read it, or a folder now has its name:
    /// nothing was overwritten.</summary>
    Conflict,

    /// <summary>It does not fit under the quota, even with the history purged.</summary>
    QuotaExceeded,
}

/// <summary>The result of <see cref="DocumentHistory.RestoreVersionAsync"/>: <paramref name="NewETag"/>
/// when restored, else a plain-language <paramref name="Reason"/>.</summary>
public sealed record RestoreOutcome(RestoreStatus Status, StoragePath? Path, ETag? NewETag, string? Reason);

/// <summary>What a point-in-time restore does to one document.</summary>
public enum RestoreAction
{
    /// <summary>It is set back to the version it had then (also when it has been deleted since).</summary>
    Restore,

    /// <summary>It did not exist then: it is deleted (and kept in the trash, so this can be undone).</summary>
    Delete,

    /// <summary>It has not changed since: left alone.</summary>
    Unchanged,

    /// <summary>It existed then and has changed since, but the version it had then is no longer
    /// kept (expired or over the per-document limit): left as it is, never guessed.</summary>
    NotKept,
}

/// <summary>
/// One line of a folder restore's preview.
/// </summary>
/// <param name="CurrentETag">The version read when planning, or null when the path is empty now;
/// the write requires it still to be current.</param>
/// <param name="FromLength">The current size, or null when the path is empty now.</param>
/// <param name="ToLength">The size it gets, or null when it is deleted.</param>
/// <param name="VersionId">The retained version brought back (<see cref="RestoreAction.Restore"/> only).</param>
public sealed record RestoreChange(StoragePath Path, RestoreAction Action, ETag? CurrentETag, long? FromLength, long? ToLength, long? VersionId);

/// <summary>A folder restore, planned: every document under <paramref name="Folder"/> that exists
/// now or existed at <paramref name="AsOfUtc"/>, sorted by path.</summary>
public sealed record RestorePlan(string Owner, StoragePath Folder, DateTime AsOfUtc, IReadOnlyList<RestoreChange> Changes)
{
    public int ToRestore => Changes.Count(c => c.Action == RestoreAction.Restore);

    public int ToDelete => Changes.Count(c => c.Action == RestoreAction.Delete);

    public int Unchanged => Changes.Count(c => c.Action == RestoreAction.Unchanged);

    public int NotKept => Changes.Count(c => c.Action == RestoreAction.NotKept);
}

/// <summary>A document a folder restore could not change, and why (plain language).</summary>
public sealed record RestoreFailure(StoragePath Path, RestoreAction Action, string Reason);

/// <summary>What a folder restore did.</summary>
public sealed record FolderRestoreReport(int Restored, int Deleted, int Unchanged, IReadOnlyList<RestoreFailure> Failed)
{
    /// <summary>Documents left as they are because their version from then is no longer kept.</summary>
    public int NotKept { get; init; }
}

/// <summary>How far a folder restore got: <paramref name="Done"/> of <paramref name="Total"/> writes.</summary>
public sealed record FolderRestoreProgress(int Done, int Total);

/// <summary>What a purge removed: versions and their bytes.</summary>
public sealed record HistoryPurgeResult(int Versions, long Bytes);
