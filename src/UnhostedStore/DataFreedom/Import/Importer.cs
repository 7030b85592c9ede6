using System.Security.Cryptography;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.DataFreedom.Import;

/// <summary>What to do with a document the user already has.</summary>
public enum ImportMode
{
    /// <summary>Keep the stored document (the default: an import never loses data).</summary>
    Skip,

    /// <summary>Replace it with the archive's.</summary>
    Overwrite,

    /// <summary>Keep whichever has the later Last-Modified.</summary>
    Newer,
}

/// <summary>How far an import got: documents done of the total to write.</summary>
public readonly record struct ImportProgress(int Done, int Total);

/// <summary>
/// Imports an archive into one user's storage. The whole archive is read and checked first
/// (<see cref="ImportPlan"/>), then the quota, so a hostile or oversized archive changes
/// nothing; then each document goes through the ordinary write path, each all-or-nothing, with
/// quota (507) and size (413) as for any PUT (draft-26 §5).
/// </summary>
public sealed class Importer(DocumentWrites writes, HotReads reads, StorageDbContext db, Quotas quotas)
{
    public async Task<ImportReport> RunAsync(string owner, ArchiveSource source, ImportMode mode, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var plan = ImportPlan.Build(source);
        var report = new ImportReport { Unlisted = plan.Unlisted, Refused = [.. plan.Refused] };

        var writesToDo = new List<PlannedDocument>();
        long need = 0;
        foreach (var doc in plan.Documents)
        {
            var existing = await reads.FindDocumentAsync(owner, doc.Path.Value, ct);
            var write = existing is null || mode switch
            {
                ImportMode.Overwrite => true,
                ImportMode.Newer => doc.LastModifiedUtc is { } archived && archived > existing.LastModifiedUtc,
                _ => false,
            };
            if (!write)
            {
                report.Skipped++;
                continue;
            }

            writesToDo.Add(doc);
            need += doc.File.Length - (existing?.ContentLength ?? 0);
        }

        var usage = await quotas.UsageAsync(db, owner, ct);
        if (usage.QuotaBytes > 0 && need > 0 && usage.UsedBytes + need > usage.QuotaBytes)
        {
            var left = Math.Max(0, usage.QuotaBytes - usage.UsedBytes);
            throw new ArchiveRefusedException(
                $"The archive's documents need {need} bytes, but only {left} of your {usage.QuotaBytes}-byte quota are free; nothing was imported.");
        }

        progress?.Report(new ImportProgress(0, writesToDo.Count));
        for (var i = 0; i < writesToDo.Count; i++)
        {
            var doc = writesToDo[i];
            var why = await WriteAsync(owner, doc, ct);
            if (why is null)
            {
                report.Imported++;
            }
            else
            {
                report.Refused.Add(new ImportRefusal(doc.Path.Value[1..], why));
            }

            progress?.Report(new ImportProgress(i + 1, writesToDo.Count));
        }

        return report;
    }

    /// <summary>Writes one document; returns null, or why it was refused.</summary>
    private async Task<string?> WriteAsync(string owner, PlannedDocument doc, CancellationToken ct)
    {
        try
        {
            if (doc.Sha256 is { } expected)
            {
                await using var check = doc.File.Open();
                var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(check, ct));
                if (!string.Equals(actual, expected, StringComparison.Ordinal))
                {
                    return "its SHA-256 does not match the archive's manifest";
                }
            }

            await using var body = doc.File.Open();
            var outcome = await writes.PutAsync(owner, doc.Path, doc.ContentType, body, doc.File.Length, RequestConditions.None, ct, HistoryLabels.Import);
            return outcome switch
            {
                StorageOutcome.Created or StorageOutcome.Updated => null,
                StorageOutcome.PayloadTooLarge tooLarge => $"it is larger than the server's limit of {tooLarge.Limit} bytes per document",
                StorageOutcome.InsufficientStorage full => $"it does not fit in your {full.QuotaBytes}-byte quota",
                StorageOutcome.Conflict conflict => conflict.Reason,
                _ => "the store refused it (" + outcome.GetType().Name + ")",
            };
        }
        catch (ArchiveRefusedException e)
        {
            return e.Message;
        }
        catch (System.IO.InvalidDataException e)
        {
            return "its file in the archive is damaged (" + e.Message + ")";
        }
    }
}

/// <summary>The outcome of one import: counts, and a reason for every refused document.</summary>
public sealed class ImportReport
{
    public int Imported { get; set; }

    public int Skipped { get; set; }

    public List<ImportRefusal> Refused { get; init; } = [];

    public List<string> Unlisted { get; init; } = [];
}
