
using UnhostedStore.Storage;

namespace UnhostedStore.Persistence;

/// <summary>
/// One document or one non-empty folder of a user's tree. Folder paths end in <c>/</c>, so a
/// document and a folder of the same name have different keys; the clash rule (draft-26 §4) is
/// enforced by the write path.
/// </summary>
public sealed class StorageNode
{
    public required string Owner { get; set; }

    public required string Path { get; set; }

    /// <summary>The containing folder's path; null only for the root folder.</summary>
    public string? ParentPath { get; set; }

    public bool IsFolder { get; set; }

    /// <summary>The unquoted strong version.</summary>
    public required string ETag { get; set; }

    public DateTime LastModifiedUtc { get; set; }

    /// <summary>Documents: when the path last came into existence (a PUT onto an empty path);
    /// overwrites keep it. <see cref="DateTime.MinValue"/> when unknown (stored before it was
    /// recorded). A point-in-time restore needs it to tell "created since" from "its version
    /// from then is no longer kept".</summary>
    public DateTime BornUtc { get; set; }

    /// <summary>Documents: the Content-Type exactly as received.</summary>
    public string? ContentType { get; set; }

    /// <summary>Documents: length in octets.</summary>
    public long ContentLength { get; set; }

    /// <summary>Documents: the immutable blob key holding the bytes, or null when inline.</summary>
    public string? BlobKey { get; set; }

    /// <summary>Documents up to <c>Storage:InlineMaxBytes</c>: the bytes themselves. A typical
    /// remoteStorage document is a few hundred bytes of JSON; a row is far cheaper than a blob.</summary>
    public byte[]? InlineContent { get; set; }

    /// <summary>Folders: number of direct children (documents and non-empty folders).
    /// A folder whose count drops to zero is deleted (draft-26 §4: empty folders don't exist).</summary>
    public int ChildCount { get; set; }

    /// <summary>Documents: who wrote the current version, an app's origin (the token's client) or
    /// a label such as "import"; null for versions written before this was recorded.</summary>
    public string? ModifiedBy { get; set; }
}
