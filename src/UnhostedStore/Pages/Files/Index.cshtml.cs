using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Pages.Shares;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;
using UnhostedStore.Previews;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// The file browser: the person's own storage, one folder at a time (<c>/files?path=/music/</c>;
/// the root lists the modules), sorted by the server (<c>sort=name|size|date</c>,
/// <c>dir=asc|desc</c>) and paged (<c>page=</c>, <see cref="FolderListing.PageSize"/> a page),
/// so it works without script. With script (<c>wwwroot/js/files.js</c>) files and folders are
/// uploaded into it (<see cref="UploadModel"/>). Everything is the logged-in user's own: the
/// owner is always <c>User.Identity.Name</c>, never anything in the request.
/// </summary>
[Authorize]
public sealed class FilesModel(StorageDbContext db, Quotas quotas, IOptions<StorageOptions> storage, IStringLocalizer<FilesText> t) : PageModel
{
    public StoragePath Folder { get; private set; } = StoragePath.Root;

    public string? PathError { get; private set; }

    public FolderPage Listing { get; private set; } = new([], 0, 1, 1);

    public FileSort Sort { get; private set; }

    public bool Descending { get; private set; }

    public IReadOnlyList<ShareItem> Audio { get; private set; } = [];

    public UsageSummary? Usage { get; private set; }

    public long MaxDocumentBytes => storage.Value.MaxDocumentBytes;

    public ShareCrumbTrail Crumbs => FilePaths.Crumbs(Folder);

    public string Title => Folder.IsRoot ? t["Title_YourFiles"] : FilePaths.NameOf(Folder);

    [TempData]
    public string? Message { get; set; }

    public async Task<IActionResult> OnGetAsync([FromQuery] string? path, [FromQuery] string? sort, [FromQuery] string? dir, [FromQuery] int? page, CancellationToken ct)
    {
        Response.Headers.CacheControl = "no-store";
        var parsed = FilePaths.Parse(path, out var error);
        if (parsed is null)
        {
            PathError = error;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        if (parsed.IsDocument)
        {
            return Redirect(FilePaths.Preview(parsed));
        }

        Folder = parsed;
        Sort = sort?.ToLowerInvariant() switch
        {
            "size" => FileSort.Size,
            "date" => FileSort.Date,
            _ => FileSort.Name,
        };
        Descending = string.Equals(dir, "desc", StringComparison.OrdinalIgnoreCase);
        var owner = User.Identity!.Name!;
        Listing = await FolderListing.ReadAsync(db, owner, Folder, Sort, Descending, page ?? 1, ct);
        Audio = Listing.Rows.Where(r => !r.IsFolder && r.Item.Kind == PreviewKind.Audio).Select(r => r.Item).ToList();
        if (Folder.IsRoot)
        {
            Usage = await quotas.UsageAsync(db, owner, ct);
        }

        return Page();
    }

    /// <summary>This folder's address with another sort or page; the rest stays.</summary>
    public string Link(FileSort? sort = null, bool? descending = null, int? page = null)
    {
        var s = sort ?? Sort;
        var d = descending ?? Descending;
        var p = page ?? 1;
        var query = new List<string>();
        if (!Folder.IsRoot)
        {
            query.Add("path=" + FilePaths.Encode(Folder));
        }

        if (s != FileSort.Name)
        {
            query.Add("sort=" + s.ToString().ToLowerInvariant());
        }

        if (d)
        {
            query.Add("dir=desc");
        }

        if (p > 1)
        {
            query.Add("page=" + p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return FilePaths.Home + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query));
    }

    /// <summary>A column heading's link: this column ascending, or descending when it already is
    /// ascending (dates start newest first).</summary>
    public string SortLink(FileSort column) =>
        Link(column, Sort == column ? !Descending : column == FileSort.Date, 1);

    /// <summary><c>aria-sort</c> of a column heading.</summary>
    public string AriaSort(FileSort column) => Sort != column ? "none" : Descending ? "descending" : "ascending";
}
