namespace UnhostedStore.Persistence;

public enum MoveInState
{
    /// <summary>Copying, or waiting to be resumed by whichever instance takes the lease next.</summary>
    Running = 0,

    Done = 1,

    Failed = 2,
}

/// <summary>
/// One move-in from another remoteStorage server: the job's checkpoint. It is written after
/// every document, so a restart resumes where the copy stopped: <see cref="PendingFolders"/>
/// are still to be listed, <see cref="DoneDocuments"/> were copied (with the source's ETag, so a
/// document that has not changed since is not fetched again).
/// </summary>
public sealed class MoveInJob
{
    public required string Id { get; set; }

    public required string UserName { get; set; }

    /// <summary>The old address, <c>user@host</c>.</summary>
    public required string Source { get; set; }

    /// <summary>The old storage root (the WebFinger link's href, draft-26 §10).</summary>
    public required string StorageRoot { get; set; }

    /// <summary>The bearer token for the old server, encrypted with ASP.NET Core Data
    /// Protection; cleared when the job ends.</summary>
    public string? ProtectedToken { get; set; }

    public MoveInState State { get; set; }

    /// <summary>Folders (paths relative to the root, ending in <c>/</c>) still to list, one a line.</summary>
    public string PendingFolders { get; set; } = string.Empty;

    /// <summary>Folders already listed, one a line: a listing that names one again is a loop.</summary>
    public string VisitedFolders { get; set; } = string.Empty;

    /// <summary>Copied documents, one a line: the source ETag, a tab, the path.</summary>
    public string DoneDocuments { get; set; } = string.Empty;

    /// <summary>The document being copied when the checkpoint was written: a resume may find it
    /// stored and must then overwrite it, not keep it as if it had been there before.</summary>
    public string? InFlight { get; set; }

    public int Copied { get; set; }

    public int Skipped { get; set; }

    /// <summary>Refused documents and folders, one a line: the path, a tab, why.</summary>
    public string Refused { get; set; } = string.Empty;

    public string? Error { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTime? LeaseUntilUtc { get; set; }
}
