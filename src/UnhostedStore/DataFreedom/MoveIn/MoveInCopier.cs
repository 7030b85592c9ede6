using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Storage.History;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>How far a move-in got.</summary>
public readonly record struct MoveInProgress(int Copied, int Skipped, int Refused, int FoldersLeft, string? Current);

/// <summary>
/// Copies a whole storage from the old server, folder by folder (draft-26 §4 listings, §5
/// document GETs with the bearer token of §9), each document through the ordinary write path,
/// streamed, with its Content-Type. The <see cref="MoveInJob"/> row is the checkpoint, written
/// after each document under a lease, so another instance or a restart resumes the job.
/// A document the person already had (not written by this job) is kept.
/// </summary>
public sealed partial class MoveInCopier(
    StorageDbContext db,
    DocumentWrites writes,
    HotReads reads,
    IHttpClientFactory clients,
    IDataProtectionProvider protection,
    TimeProvider clock,
    ILogger<MoveInCopier> logger)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    public const int MaxListingBytes = 8 * 1024 * 1024;
    public const int MaxDepth = 32;
    public const int MaxFolders = 100_000;
    private static readonly TimeSpan ListingTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DocumentTimeout = TimeSpan.FromMinutes(10);

    // One per process: the job a request or command creates here is leased to this process from
    // its first row on, so the resumer of another instance (or of the server, for a command)
    // cannot take it before the run this process starts for it; runs in one process never
    // share a job (MoveInJobs runs each at most once).
    private static readonly string ProcessLeaseOwner = Environment.MachineName + "/" + Environment.ProcessId + "/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private IDataProtector Protector => protection.CreateProtector("UnhostedStore.MoveIn.Token");

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>A new job, or the person's unfinished one from the same address with the new token.</summary>
    public async Task<MoveInJob> CreateAsync(string owner, OldServer source, string token, CancellationToken ct)
    {
        var job = await db.MoveInJobs.FirstOrDefaultAsync(j => j.UserName == owner && j.Source == source.Address && j.State == MoveInState.Running, ct);
        if (job is null)
        {
            job = new MoveInJob
            {
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                UserName = owner,
                Source = source.Address,
                StorageRoot = source.StorageRoot.AbsoluteUri,
                PendingFolders = "/",
                CreatedUtc = Now,
                LeaseOwner = ProcessLeaseOwner,
                LeaseUntilUtc = Now + Lease,
            };
            db.MoveInJobs.Add(job);
        }

        job.StorageRoot = source.StorageRoot.AbsoluteUri;
        job.ProtectedToken = Protector.Protect(token);
        job.UpdatedUtc = Now;
        await db.SaveChangesAsync(ct);
        return job;
    }

    /// <summary>Runs the job to its end, or until <paramref name="ct"/> (the job stays
    /// resumable). Null when another runner holds its lease or it has ended already.</summary>
    public async Task<MoveInJob?> RunAsync(string jobId, IProgress<MoveInProgress>? progress, CancellationToken ct)
    {
        var now = Now;
        var claimed = await db.MoveInJobs
            .Where(j => j.Id == jobId && j.State == MoveInState.Running && (j.LeaseUntilUtc == null || j.LeaseUntilUtc < now || j.LeaseOwner == ProcessLeaseOwner))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, ProcessLeaseOwner).SetProperty(j => j.LeaseUntilUtc, now + Lease), ct);
        if (claimed == 0)
        {
            return null;
        }

        var job = await db.MoveInJobs.AsNoTracking().SingleAsync(j => j.Id == jobId, ct);
        var run = new Run(job);
        try
        {
            string token;
            try
            {
                token = Protector.Unprotect(job.ProtectedToken ?? string.Empty);
            }
            catch (CryptographicException)
            {
                throw new MoveInRefusedException("The token for the old server can no longer be read; start the move-in again.");
            }

            var client = clients.CreateClient(MoveInServices.ClientName);
            while (run.Pending.Count > 0)
            {
                var folder = run.Pending[0];
                progress?.Report(run.Progress(folder));
                await CopyFolderAsync(client, token, run, folder, progress, ct);
                run.Pending.RemoveAt(0);
                run.Visited.Add(folder);
                await CheckpointAsync(run, null, ct);
            }

            job.State = MoveInState.Done;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped from outside (shutdown, Ctrl-C): give the lease back so a restart resumes at once.
            await db.MoveInJobs.Where(j => j.Id == jobId && j.LeaseOwner == ProcessLeaseOwner)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntilUtc, (DateTime?)null), CancellationToken.None);
            throw;
        }
        catch (LeaseLostException)
        {
            // Another runner took the job over (this one stalled past its lease): it goes on from the checkpoint.
            return null;
        }
        catch (MoveInRefusedException e)
        {
            job.State = MoveInState.Failed;
            job.Error = e.Message;
        }
        catch (Exception e)
        {
            LogFailed(logger, e, job.UserName);
            job.State = MoveInState.Failed;
            job.Error = "The move-in stopped because of a server error; documents copied so far are complete. Start it again to copy the rest.";
        }

        run.Write(job);
        job.ProtectedToken = null;
        job.LeaseOwner = null;
        job.LeaseUntilUtc = null;
        job.UpdatedUtc = Now;
        db.MoveInJobs.Update(job);
        await db.SaveChangesAsync(CancellationToken.None);
        progress?.Report(run.Progress(null));
        return job;
    }

    private async Task CopyFolderAsync(HttpClient client, string token, Run run, string folder, IProgress<MoveInProgress>? progress, CancellationToken ct)
    {
        List<ListingEntry> entries;
        try
        {
            var (parsed, refused) = MoveInListing.Parse(await GetListingAsync(client, token, run.Job.StorageRoot, folder, ct));
            entries = parsed;
            foreach (var (name, why) in refused)
            {
                run.Refuse(folder + name, why);
            }
        }
        catch (MoveInRefusedException e)
        {
            // The root listing is the whole storage: without it there is nothing to move.
            if (folder == "/")
            {
                throw new MoveInRefusedException("The old server's root folder could not be read: " + e.Message + ". Nothing was copied.");
            }

            run.Refuse(folder, e.Message);
            return;
        }

        foreach (var entry in entries)
        {
            var path = folder + entry.Name + (entry.IsFolder ? "/" : string.Empty);
            if (Encoding.UTF8.GetByteCount(path) > StoragePath.MaxPathBytes)
            {
                run.Refuse(path, $"its path is longer than {StoragePath.MaxPathBytes} bytes");
            }
            else if (entry.IsFolder)
            {
                if (run.Visited.Contains(path) || run.Pending.Contains(path))
                {
                    // A child path has one parent, so it is only seen again when that parent is
                    // listed again after a resume; loops show up as '.'/'..' names or as depth.
                    continue;
                }
                else if (path.Count(c => c == '/') - 1 > MaxDepth)
                {
                    run.Refuse(path, $"it is nested deeper than {MaxDepth} folders; the old server's listings seem to loop");
                }
                else if (run.Visited.Count + run.Pending.Count >= MaxFolders)
                {
                    run.Refuse(path, $"the old storage has more than {MaxFolders} folders");
                }
                else
                {
                    run.Pending.Add(path);
                }
            }
            else
            {
                await CopyDocumentAsync(client, token, run, path, entry, ct);
                progress?.Report(run.Progress(path));
            }
        }
    }

    private static async Task<byte[]> GetListingAsync(HttpClient client, string token, string root, string folder, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ListingTimeout);
        try
        {
            using var request = Request(root, folder, token);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode == HttpStatusCode.Unauthorized || response.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new MoveInRefusedException($"the old server refused the token ({(int)response.StatusCode}); it needs read access to everything (*:r)");
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new MoveInRefusedException($"the old server answered {(int)response.StatusCode} for its listing");
            }

            return await Limits.ReadCappedAsync(response.Content, MaxListingBytes, timeout.Token)
                ?? throw new MoveInRefusedException($"its listing is larger than {MaxListingBytes} bytes");
        }
        catch (HttpRequestException e)
        {
            throw new MoveInRefusedException("the old server could not be reached: " + Limits.Describe(e), e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new MoveInRefusedException($"its listing did not arrive within {ListingTimeout.TotalSeconds} seconds", e);
        }
    }

    private async Task CopyDocumentAsync(HttpClient client, string token, Run run, string path, ListingEntry entry, CancellationToken ct)
    {
        if (run.Done.TryGetValue(path, out var copiedTag) && copiedTag == entry.ETag && entry.ETag.Length > 0)
        {
            return;
        }

        var ours = run.Done.ContainsKey(path) || run.Job.InFlight == path;
        if (!ours && await reads.FindDocumentAsync(run.Job.UserName, path, ct) is not null)
        {
            run.Job.Skipped++;
            return;
        }

        await CheckpointAsync(run, path, ct);
        var why = await FetchAndPutAsync(client, token, run, path, entry, ct);
        if (why is null)
        {
            run.Done[path] = entry.ETag;
            run.Job.Copied++;
        }
        else
        {
            run.Refuse(path, why);
        }

        await CheckpointAsync(run, null, ct);
    }

    /// <summary>Streams one document into our store; null, or why it was not copied.</summary>
    private async Task<string?> FetchAndPutAsync(HttpClient client, string token, Run run, string path, ListingEntry entry, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(DocumentTimeout);
        try
        {
            using var request = Request(run.Job.StorageRoot, path, token);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return response.StatusCode == HttpStatusCode.NotFound
                    ? "it was deleted on the old server during the move"
                    : $"the old server answered {(int)response.StatusCode}";
            }

            var type = response.Content.Headers.ContentType?.ToString() ?? entry.ContentType ?? "application/octet-stream";
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            var outcome = await writes.PutAsync(run.Job.UserName, StoragePath.FromStored(path), type, body, response.Content.Headers.ContentLength, RequestConditions.None, timeout.Token, HistoryLabels.MoveIn);
            ct.ThrowIfCancellationRequested();
            return outcome switch
            {
                StorageOutcome.Created or StorageOutcome.Updated => null,
                StorageOutcome.PayloadTooLarge tooLarge => $"it is larger than this server's limit of {tooLarge.Limit} bytes per document",
                StorageOutcome.InsufficientStorage full => $"it does not fit in your {full.QuotaBytes}-byte quota",
                StorageOutcome.Conflict conflict => conflict.Reason,
                StorageOutcome.Aborted => timeout.IsCancellationRequested ? $"it did not arrive within {DocumentTimeout.TotalMinutes} minutes" : "the old server stopped sending it halfway",
                _ => "this server refused it (" + outcome.GetType().Name + ")",
            };
        }
        catch (HttpRequestException e)
        {
            return "the old server could not be reached: " + Limits.Describe(e);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"it did not arrive within {DocumentTimeout.TotalMinutes} minutes";
        }
    }

    private static HttpRequestMessage Request(string root, string path, string token)
    {
        var encoded = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        var request = new HttpRequestMessage(HttpMethod.Get, root.TrimEnd('/') + encoded);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>Writes the job's state and renews the lease; stops when another runner took it.</summary>
    private async Task CheckpointAsync(Run run, string? inFlight, CancellationToken ct)
    {
        run.Job.InFlight = inFlight;
        run.Write(run.Job);
        var job = run.Job;
        var now = Now;
        var updated = await db.MoveInJobs.Where(j => j.Id == job.Id && j.LeaseOwner == ProcessLeaseOwner).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.PendingFolders, job.PendingFolders)
            .SetProperty(j => j.VisitedFolders, job.VisitedFolders)
            .SetProperty(j => j.DoneDocuments, job.DoneDocuments)
            .SetProperty(j => j.InFlight, job.InFlight)
            .SetProperty(j => j.Copied, job.Copied)
            .SetProperty(j => j.Skipped, job.Skipped)
            .SetProperty(j => j.Refused, job.Refused)
            .SetProperty(j => j.UpdatedUtc, now)
            .SetProperty(j => j.LeaseUntilUtc, now + Lease), ct);
        if (updated == 0)
        {
            throw new LeaseLostException();
        }
    }

    /// <summary>The job's lists, parsed once per run and written back at each checkpoint.</summary>
    private sealed class Run(MoveInJob job)
    {
        public MoveInJob Job { get; } = job;

        public List<string> Pending { get; } = Lines(job.PendingFolders).ToList();

        public HashSet<string> Visited { get; } = new(Lines(job.VisitedFolders), StringComparer.Ordinal);

        public Dictionary<string, string> Done { get; } = Lines(job.DoneDocuments).Select(l => l.Split('\t', 2)).ToDictionary(p => p[1], p => p[0], StringComparer.Ordinal);

        public void Refuse(string path, string why) => Job.Refused += path + "\t" + why + "\n";

        public MoveInProgress Progress(string? current) => new(Job.Copied, Job.Skipped, MoveInReport.Refusals(Job).Count, Pending.Count, current);

        public void Write(MoveInJob target)
        {
            target.PendingFolders = string.Join('\n', Pending);
            target.VisitedFolders = string.Join('\n', Visited);
            target.DoneDocuments = string.Join('\n', Done.Select(d => d.Value + "\t" + d.Key));
        }

        private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private sealed class LeaseLostException : Exception;

    [LoggerMessage(Level = LogLevel.Error, Message = "Move-in for {Owner} failed")]
    private static partial void LogFailed(ILogger logger, Exception e, string owner);
}

/// <summary>The outcome of a move-in, read from its row.</summary>
public static class MoveInReport
{
    public static List<(string Path, string Why)> Refusals(MoveInJob job) =>
        [.. job.Refused.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : string.Empty))];
}
