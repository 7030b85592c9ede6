using Microsoft.EntityFrameworkCore;
using UnhostedStore.Pages.Shares;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Previews;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>How a folder's items are ordered; folders always come before documents.</summary>
public enum FileSort
{
    Name,
    Size,
    Date,
}

/// <summary>One item of a folder as the file browser lists it.</summary>
public sealed record FileRow(StoragePath Path, bool IsFolder, string ETag, int ChildCount, string? ModifiedBy, ShareItem Item)
{
    public string Name => Item.Name;

    public (string Text, string? Title) WrittenBy => FilePaths.WrittenBy(ModifiedBy);

    public string SizeText => IsFolder ? Words.Count(ChildCount, "Item") : Item.SizeText;

    public bool HasThumbnail => !IsFolder && PreviewKinds.CanThumbnail(Item.ContentType);

    public string ThumbUrl => FilePaths.Thumb(Path, ETag);
}

/// <summary>One page of a folder's items, and how many there are in all.</summary>
public sealed record FolderPage(IReadOnlyList<FileRow> Rows, int Total, int Page, int Pages);

/// <summary>
/// A folder's items for the file browser, a page at a time: one range scan of the
/// (owner, parent) index, ordered and cut by the database, so a folder of any size costs the
/// server and the browser one page. Unlike the storage API's listing it also says who wrote
/// each document and how many items each subfolder holds.
/// </summary>
public static class FolderListing
{
    public const int PageSize = 200;

    public static async Task<FolderPage> ReadAsync(StorageDbContext db, string owner, StoragePath folder, FileSort sort, bool descending, int page, CancellationToken ct)
    {
        var children = db.Nodes.AsNoTracking().Where(n => n.Owner == owner && n.ParentPath == folder.Value);
        var total = await children.CountAsync(ct);
        var pages = Math.Max(1, (total + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pages);

        // Folders first, whatever the order; the path breaks ties, so pages never overlap.
        var folders = children.OrderByDescending(n => n.IsFolder);
        var ordered = (sort, descending) switch
        {
            (FileSort.Size, false) => folders.ThenBy(n => n.IsFolder ? (long)n.ChildCount : n.ContentLength).ThenBy(n => n.Path),
            (FileSort.Size, true) => folders.ThenByDescending(n => n.IsFolder ? (long)n.ChildCount : n.ContentLength).ThenBy(n => n.Path),
            (FileSort.Date, false) => folders.ThenBy(n => n.LastModifiedUtc).ThenBy(n => n.Path),
            (FileSort.Date, true) => folders.ThenByDescending(n => n.LastModifiedUtc).ThenBy(n => n.Path),
            (_, false) => folders.ThenBy(n => n.Path),
            (_, true) => folders.ThenByDescending(n => n.Path),
        };
        var rows = await ordered
            .Skip((page - 1) * PageSize)
            .Take(PageSize)
            .Select(n => new { n.Path, n.IsFolder, n.ETag, n.ContentType, n.ContentLength, n.LastModifiedUtc, n.ChildCount, n.ModifiedBy })
            .ToListAsync(ct);
        var list = rows.Select(r =>
        {
            var path = StoragePath.FromStored(r.Path);
            var item = new ShareItem(
                FilePaths.NameOf(path),
                path.IsFolder ? FilePaths.Browse(path) : FilePaths.Preview(path),
                FilePaths.Bytes(path),
                FilePaths.Thumb(path, r.ETag),
                PreviewKinds.Of(r.ContentType),
                r.ContentType ?? string.Empty,
                r.ContentLength,
                r.LastModifiedUtc);
            return new FileRow(path, r.IsFolder, r.ETag, r.ChildCount, r.ModifiedBy, item);
        }).ToList();
        return new FolderPage(list, total, page, pages);
    }

    /// <summary>The documents under <paramref name="folder"/> (at any depth): how many, and their bytes.</summary>
    public static async Task<(long Documents, long Bytes)> SummarizeAsync(StorageDbContext db, string owner, StoragePath folder, CancellationToken ct)
    {
        var (documents, bytes) = (0L, 0L);
        await foreach (var batch in DocumentsUnderAsync(db, owner, folder, ct))
        {
            documents += batch.Count;
            bytes += batch.Sum(d => d.Length);
        }

        return (documents, bytes);
    }

    /// <summary>The documents under <paramref name="folder"/>, in path order, a batch at a time
    /// (memory holds one batch, whatever the folder's size).</summary>
    public static async IAsyncEnumerable<IReadOnlyList<(StoragePath Path, ETag ETag, long Length)>> DocumentsUnderAsync(
        StorageDbContext db, string owner, StoragePath folder, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, int batchSize = 500)
    {
        var prefix = folder.Value;
        var after = prefix;
        while (true)
        {
            var rows = await db.Nodes.AsNoTracking()
                .Where(n => n.Owner == owner && !n.IsFolder && n.Path.StartsWith(prefix) && string.Compare(n.Path, after) > 0)
                .OrderBy(n => n.Path)
                .Take(batchSize)
                .Select(n => new { n.Path, n.ETag, n.ContentLength })
                .ToListAsync(ct);
            if (rows.Count == 0)
            {
                yield break;
            }

            after = rows[^1].Path;

            // SQLite's LIKE ignores case: the prefix is checked again, exactly.
            yield return rows.Where(r => r.Path.StartsWith(prefix, StringComparison.Ordinal))
                .Select(r => (StoragePath.FromStored(r.Path), ETag.FromStored(r.ETag), r.ContentLength))
                .ToList();
        }
    }
}
