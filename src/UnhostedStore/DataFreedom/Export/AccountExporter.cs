using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.DataFreedom.Export;

/// <summary>How far an export got: documents and bytes written of the totals its snapshot holds.</summary>
public sealed record ExportProgress(long Documents, long DocumentsTotal, long Bytes, long BytesTotal);

/// <summary>
/// Starts exports. <see cref="BeginAsync"/> first holds the user's blobs back from deletion
/// (<see cref="BlobHolds"/>), then opens one read snapshot (<see cref="ReadSnapshot"/>): every
/// row the export reads comes from that snapshot, so a document written meanwhile is exported
/// entirely in its old version, and the blob that version names is still there when it is
/// streamed. The hold comes first so that no blob the snapshot names can have been deleted
/// between the two.
/// </summary>
public sealed class AccountExporter(StorageDbContext db, IBlobStore blobs, BlobHolds holds, TimeProvider clock, IOptions<DataFreedomOptions> options)
{
    /// <summary>The export of <paramref name="owner"/>'s storage, or of one module's documents;
    /// null when that module holds no documents. The caller disposes the run.</summary>
    public async Task<ExportRun?> BeginAsync(string owner, string? module, CancellationToken ct)
    {
        var lifetime = TimeSpan.FromMinutes(options.Value.ExportHoldMinutes);
        var hold = await holds.TakeAsync(owner, lifetime, ct);
        ReadSnapshot? snapshot = null;
        ExportRun? run = null;
        try
        {
            snapshot = await ReadSnapshot.BeginAsync(db, ct);
            var documents = db.Nodes.AsNoTracking().Where(n => n.Owner == owner && !n.IsFolder);
            if (module is not null)
            {
                var own = "/" + module + "/";
                var shared = "/public/" + module + "/";
                documents = documents.Where(n => n.Path.StartsWith(own) || n.Path.StartsWith(shared));
            }

            var totals = await documents.GroupBy(_ => 1).Select(g => new { Count = g.LongCount(), Bytes = g.Sum(n => n.ContentLength) }).FirstOrDefaultAsync(ct);
            if (module is null || totals is not null)
            {
                run = new ExportRun(db, blobs, holds, clock, snapshot, hold, lifetime, owner, module, totals?.Count ?? 0, totals?.Bytes ?? 0);
            }

            return run;
        }
        finally
        {
            if (run is null)
            {
                if (snapshot is not null)
                {
                    await snapshot.DisposeAsync();
                }

                await holds.ReleaseAsync(hold);
            }
        }
    }
}
