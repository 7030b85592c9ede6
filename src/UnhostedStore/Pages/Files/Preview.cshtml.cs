using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Pages.Shares;
using UnhostedStore.Persistence;
using UnhostedStore.Previews;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// One of the person's documents on its own page (<c>/files/preview?path=/photos/a.jpg</c>):
/// a picture, the page's own audio or video player (seeking asks <see cref="BytesModel"/> for
/// ranges), the start of a text or JSON document as escaped text, or else only a download.
/// </summary>
[Authorize]
public sealed class PreviewModel(StorageDbContext db, DocumentReads reads) : PageModel
{
    public StoragePath? Path { get; private set; }

    public string? PathError { get; private set; }

    public FileRow? Row { get; private set; }

    public TextPreview? Text { get; private set; }

    public ShareCrumbTrail Crumbs => FilePaths.Crumbs(Path ?? StoragePath.Root);

    public async Task<IActionResult> OnGetAsync([FromQuery] string? path, CancellationToken ct)
    {
        Response.Headers.CacheControl = "no-store";
        Path = FilePaths.Parse(path, out var error);
        if (Path is null)
        {
            PathError = error;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        if (Path.IsFolder)
        {
            return Redirect(FilePaths.Browse(Path));
        }

        var owner = User.Identity!.Name!;
        var node = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && n.Path == Path.Value && !n.IsFolder)
            .Select(n => new { n.ETag, n.ContentType, n.ContentLength, n.LastModifiedUtc, n.ModifiedBy })
            .FirstOrDefaultAsync(ct);
        if (node is null)
        {
            // A folder of that name: show it as a folder.
            if (await db.Nodes.AnyAsync(n => n.Owner == owner && n.Path == Path.AsOtherKind().Value, ct))
            {
                return Redirect(FilePaths.Browse(Path.AsOtherKind()));
            }

            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        var item = new ShareItem(FilePaths.NameOf(Path), FilePaths.Preview(Path), FilePaths.Bytes(Path), FilePaths.Thumb(Path, node.ETag),
            PreviewKinds.Of(node.ContentType), node.ContentType ?? string.Empty, node.ContentLength, node.LastModifiedUtc);
        Row = new FileRow(Path, false, node.ETag, 0, node.ModifiedBy, item);
        if (item.Kind is PreviewKind.Text or PreviewKind.Json
            && await reads.GetDocumentAsync(owner, Path, RequestConditions.None, null, openBody: true, ct) is StorageOutcome.DocumentFound { Body: { } body } found)
        {
            await using (body)
            {
                Text = await TextPreviews.ReadAsync(found.Document, body, ct);
            }
        }

        return Page();
    }
}
