namespace UnhostedStore.Storage.Moving;

/// <summary>Why a move did not (fully) happen, for the answer's status.</summary>
public enum MoveProblem
{
    /// <summary>The request itself can't be done: the root or <c>/public/</c>, a folder into
    /// itself, a folder onto a document path or the other way round, a path too long (400).</summary>
    Invalid,

    /// <summary>Nothing is stored at the source (404).</summary>
    NotFound,

    /// <summary>Something in the way: the destination exists, a name clash, or a source changed
    /// while it was being moved (409).</summary>
    Conflict,
}

/// <summary>How a move changes who can read what it moved (draft-26 §9: everything under
/// <c>/public/</c> is readable without a token, documents only).</summary>
public enum VisibilityChange
{
    None,

    /// <summary>Moved into <c>/public/</c>: anyone who knows an address can read the documents.</summary>
    BecomesPublic,

    /// <summary>Moved out of <c>/public/</c>: only the owner's apps can read them now.</summary>
    BecomesPrivate,
}

/// <summary>The document a move stopped at, where it was going, and why, in plain language.</summary>
public sealed record MoveFailure(StoragePath Source, StoragePath Destination, MoveProblem Problem, string Reason);

/// <summary>
/// What a move did. Documents move in transactions of <see cref="Moves.BatchSize"/>, each all or
/// nothing: <paramref name="Moved"/> counts those of committed transactions; after a
/// <paramref name="Failed"/> one the rest stays where it was.
/// </summary>
/// <param name="Total">Documents found to move (0 when the move was refused before it started).</param>
public sealed record MoveReport(StoragePath From, StoragePath To, int Moved, int Total, MoveFailure? Failed)
{
    public bool Completed => Failed is null;

    public VisibilityChange Visibility =>
        From.IsUnderPublic == To.IsUnderPublic ? VisibilityChange.None
        : To.IsUnderPublic ? VisibilityChange.BecomesPublic
        : VisibilityChange.BecomesPrivate;

    /// <summary>The folder to show afterwards: the one the moved document or folder is in now.</summary>
    public StoragePath DestinationFolder => To.Parent ?? StoragePath.Root;
}

/// <summary>How far a move got: <paramref name="Done"/> of <paramref name="Total"/> documents
/// (reported once planned, then after each transaction).</summary>
public sealed record MoveProgress(int Done, int Total);
