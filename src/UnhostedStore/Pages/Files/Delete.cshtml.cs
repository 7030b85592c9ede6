using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// Deleting a document or a whole folder, after a confirmation page that says what goes
/// (<c>GET /files/delete?path=</c>, then its form). Every document goes through the write path
/// like an app's DELETE (<see cref="DocumentWrites"/>, <see cref="WriteBatch"/>), so with
/// history on it lands in the trash. A document is deleted only if it is still the version
/// the confirmation showed; a folder's documents are deleted in transactions of
/// <see cref="BatchSize"/>, each only if unchanged since it was read.
/// </summary>
[Authorize]
public sealed class DeleteModel(StorageDbContext db, DocumentWrites writes, IStringLocalizer<FilesText> t) : PageModel
{
    public const int BatchSize = 500;

    public StoragePath? Target { get; private set; }

    public string? PathError { get; private set; }

    /// <summary>The document's version the confirmation showed.</summary>
    public string? ETag { get; private set; }

    public long Documents { get; private set; }

    public long Bytes { get; private set; }

    public string Name => Target is null ? string.Empty : FilePaths.NameOf(Target);

    public async Task<IActionResult> OnGetAsync([FromQuery] string? path, CancellationToken ct)
    {
        Response.Headers.CacheControl = "no-store";
        if (!Resolve(path))
        {
            return Page();
        }

        var owner = User.Identity!.Name!;
        if (Target!.IsDocument)
        {
            var node = await db.Nodes.AsNoTracking().Where(n => n.Owner == owner && n.Path == Target.Value)
                .Select(n => new { n.ETag, n.ContentLength }).FirstOrDefaultAsync(ct);
            (ETag, Documents, Bytes) = node is null ? (null, 0L, 0L) : (node.ETag, 1L, node.ContentLength);
        }
        else
        {
            (Documents, Bytes) = await FolderListing.SummarizeAsync(db, owner, Target, ct);
        }

        if (Documents == 0)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? path, [FromForm] string? etag, CancellationToken ct)
    {
        if (!Resolve(path))
        {
            return Page();
        }

        var owner = User.Identity!.Name!;
        string message;
        if (Target!.IsDocument)
        {
            var expected = string.IsNullOrEmpty(etag) ? RequestConditions.None : RequestConditions.Expecting(Storage.ETag.FromStored(etag));
            var outcome = await writes.DeleteAsync(owner, Target, expected, ct, FilePaths.AppLabel);
            message = outcome switch
            {
                StorageOutcome.Deleted => t["Deleted_Document", Name],
                StorageOutcome.NotFound => t["Deleted_AlreadyGone", Name],
                StorageOutcome.PreconditionFailed => t["Deleted_Changed", Name],
                _ => t["Deleted_Failed", Name],
            };
        }
        else
        {
            var (deleted, kept) = await DeleteFolderAsync(owner, Target, ct);
            message = t["Deleted_Folder", Words.Count(deleted, "Document"), Name]
                + (kept > 0 ? " " + t["Deleted_FolderKept", Words.Count(kept, "DocumentWas")] : string.Empty);
        }

        TempData["Message"] = message;
        return Redirect(FilePaths.Browse(await NearestFolderAsync(owner, Target.Parent!, ct)));
    }

    /// <summary>Deletes every document under <paramref name="folder"/>, a batch at a time; each
    /// only if still the version read. Returns how many went and how many were kept.</summary>
    private async Task<(long Deleted, long Kept)> DeleteFolderAsync(string owner, StoragePath folder, CancellationToken ct)
    {
        var (deleted, kept) = (0L, 0L);
        await foreach (var batch in FolderListing.DocumentsUnderAsync(db, owner, folder, ct, BatchSize))
        {
            var deletes = batch.Select(d => new PendingDelete(d.Path, RequestConditions.Expecting(d.ETag)) { App = FilePaths.AppLabel }).ToList();
            await writes.CommitAsync(owner, deletes);
            deleted += deletes.Count(d => d.Outcome is StorageOutcome.Deleted);
            kept += deletes.Count(d => d.Outcome is StorageOutcome.PreconditionFailed);
        }

        return (deleted, kept);
    }

    /// <summary>The folder itself when it still holds something, else the closest ancestor that does.</summary>
    private async Task<StoragePath> NearestFolderAsync(string owner, StoragePath folder, CancellationToken ct)
    {
        var candidates = folder.Ancestors().Append(folder).Select(f => f.Value).ToList();
        var existing = await db.Nodes.AsNoTracking().Where(n => n.Owner == owner && candidates.Contains(n.Path)).Select(n => n.Path).ToListAsync(ct);
        var deepest = candidates.LastOrDefault(c => c == "/" || existing.Contains(c, StringComparer.Ordinal)) ?? "/";
        return StoragePath.FromStored(deepest);
    }

    private bool Resolve(string? path)
    {
        Target = FilePaths.Parse(path, out var error);
        if (Target is null || Target.IsRoot)
        {
            PathError = error ?? t["Delete_NotRoot"];
            Target = null;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return false;
        }

        return true;
    }
}
