using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.DataFreedom.Import;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// Import of an export or an rs-backup backup. The upload is spooled to a temp file (the form
/// reader buffers to disk; this page's size limit is <c>Import:MaxUploadBytes</c>), then runs as
/// a job whose id is in the URL, so a reload shows it; the page polls <c>?handler=status</c>.
/// </summary>
[Authorize]
public sealed class ImportModel(ImportJobs jobs, IOptions<DatabaseOptions> database, IStringLocalizer<AccountText> t, AuditTrail audit) : PageModel
{
    public ImportJob? Job { get; private set; }

    public string? Error { get; private set; }

    [BindProperty]
    public string Mode { get; set; } = "skip";

    public IActionResult OnGet(string? job)
    {
        if (job is not null)
        {
            Job = jobs.Find(job, Owner);
            if (Job is null)
            {
                Error = t["Import_Unknown"];
            }
        }

        return Page();
    }

    public IActionResult OnGetStatus(string job)
    {
        var found = jobs.Find(job, Owner);
        if (found is null)
        {
            return NotFound();
        }

        return new JsonResult(new
        {
            state = found.State.ToString().ToLowerInvariant(),
            done = found.Done,
            total = found.Total,
            error = found.Error,
        });
    }

    public async Task<IActionResult> OnPostAsync(IFormFile? archive, CancellationToken ct)
    {
        if (!Enum.TryParse<ImportMode>(Mode, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            Error = t["Import_ModeRequired"];
            return Page();
        }

        if (archive is null || archive.Length == 0)
        {
            Error = t["Import_ArchiveRequired"];
            return Page();
        }

        // Under the data directory, not the system temp: it is where this server keeps its files,
        // on the volume sized for them, and apart from any other instance's.
        var folder = Path.Combine(Path.GetFullPath(database.Value.DataDirectory), "tmp", "imports");
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, "unhostedstore-import-" + Guid.NewGuid().ToString("N") + ".zip");
        try
        {
            await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await archive.CopyToAsync(target, ct);
            }
        }
        catch
        {
            System.IO.File.Delete(temp);
            throw;
        }

        var job = jobs.Start(Owner, temp, mode);
        await audit.RecordAsync(AuditKind.ImportStarted, Owner, AuditActor.Person(HttpContext, Owner), $"A zip of {IndexModel.Size(archive.Length)}, uploaded on the account page (mode: {mode.ToString().ToLowerInvariant()}).");
        return RedirectToPage(new { job = job.Id });
    }

    private string Owner => User.Identity!.Name!;
}
