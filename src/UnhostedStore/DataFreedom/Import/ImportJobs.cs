using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace UnhostedStore.DataFreedom.Import;

public enum ImportState
{
    Checking,
    Importing,
    Done,
    Failed,
}

/// <summary>One import the page started; read by the page and its status endpoint.</summary>
public sealed class ImportJob(string id, string owner, ImportMode mode)
{
    public string Id { get; } = id;

    public string Owner { get; } = owner;

    public ImportMode Mode { get; } = mode;

    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    private volatile ImportState _state;

    public ImportState State { get => _state; set => _state = value; }

    public int Done { get; set; }

    public int Total { get; set; }

    public ImportReport? Report { get; set; }

    public string? Error { get; set; }
}

/// <summary>
/// Imports uploaded on the page run here, after the upload's request ended, so a page reload
/// (the job id is in the URL) shows the same job. Jobs live in memory: a restart forgets them,
/// and every document written so far stays whole (each write is all-or-nothing); running the
/// same import again in skip mode finishes it.
/// </summary>
public sealed partial class ImportJobs(IServiceScopeFactory scopes, IOptions<ImportOptions> options, ILogger<ImportJobs> logger)
{
    private static readonly TimeSpan KeepFinished = TimeSpan.FromHours(6);

    private readonly ConcurrentDictionary<string, ImportJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>The job, if it exists and belongs to <paramref name="owner"/>.</summary>
    public ImportJob? Find(string id, string owner) =>
        _jobs.TryGetValue(id, out var job) && job.Owner == owner ? job : null;

    /// <summary>Starts importing <paramref name="archiveFile"/>, which the job deletes when done.</summary>
    public ImportJob Start(string owner, string archiveFile, ImportMode mode)
    {
        foreach (var old in _jobs.Values.Where(j => j.State is ImportState.Done or ImportState.Failed && DateTime.UtcNow - j.StartedUtc > KeepFinished))
        {
            _jobs.TryRemove(old.Id, out _);
        }

        var job = new ImportJob(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), owner, mode);
        _jobs[job.Id] = job;
        _ = Task.Run(() => RunAsync(job, archiveFile));
        return job;
    }

    private async Task RunAsync(ImportJob job, string archiveFile)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            using var source = ArchiveSource.OpenZip(archiveFile, options.Value);
            var progress = new Progress(job);
            job.Report = await scope.ServiceProvider.GetRequiredService<Importer>().RunAsync(job.Owner, source, job.Mode, progress, CancellationToken.None);
            job.State = ImportState.Done;
        }
        catch (ArchiveRefusedException e)
        {
            job.Error = e.Message;
            job.State = ImportState.Failed;
        }
        catch (Exception e)
        {
            LogFailed(logger, e, job.Owner);
            job.Error = "The import stopped because of a server error; documents imported so far are complete. Run the same import again (skip mode) to finish it.";
            job.State = ImportState.Failed;
        }
        finally
        {
            try
            {
                File.Delete(archiveFile);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed class Progress(ImportJob job) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value)
        {
            job.Total = value.Total;
            job.Done = value.Done;
            job.State = ImportState.Importing;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Import for {Owner} failed")]
    private static partial void LogFailed(ILogger logger, Exception e, string owner);
}
