using Microsoft.Extensions.Options;
using UnhostedStore.Blobs;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Storage;

/// <summary>
/// PUT and DELETE of a document (draft-26 §5). The bytes are stored first, under a fresh key
/// (or kept for the row itself when small); then the write joins its user's queue
/// (<see cref="UserWriteQueues"/>), whose batch <see cref="WriteBatch"/> commits, in a transaction
/// it may share with other users' batches (<see cref="CommitGroups"/>). The version it
/// replaces or removes is kept as history in that same transaction; only when none is kept (or
/// history is purged for room) is a blob no row points at any more removed, after the commit
/// (<see cref="BlobRelease"/>: unless a row still names it or an export holds the user's blobs,
/// <see cref="BlobHolds"/>; then the sweeper removes it once the hold has ended).
/// </summary>
public sealed partial class DocumentWrites(
    IBlobStore blobs,
    UserWriteQueues writeQueues,
    CommitGroups commitGroups,
    WriteBatch writeBatch,
    BlobRelease release,
    IOptions<StorageOptions> options,
    ILogger<DocumentWrites> logger)
{
    /// <summary>
    /// Stores a new version. Small bodies (up to <c>Storage:InlineMaxBytes</c>) go into the
    /// metadata row itself; larger ones go to a fresh blob key first. Then one transaction makes
    /// the version current (keeping the old one as history), and only after its commit is a blob
    /// nothing names any more removed. <paramref name="app"/> is who writes: the token's app
    /// origin, or a label such as "import"; <paramref name="tokenId"/> the access token's id, which
    /// the commit checks is still valid (<see cref="PendingWrite.TokenId"/>).
    /// </summary>
    public async Task<StorageOutcome> PutAsync(
        string owner, StoragePath path, string contentType, Stream body, long? declaredLength, RequestConditions conditions, CancellationToken ct, string? app = null, string? tokenId = null)
    {
        var limit = options.Value.MaxDocumentBytes;
        var inlineMax = options.Value.InlineMaxBytes;
        string? key = null;
        byte[]? inline = null;
        long length;
        try
        {
            await using var limited = new LengthLimitedStream(body, limit);
            var prefix = inlineMax > 0 && (declaredLength is null || declaredLength <= inlineMax)
                ? await ReadUpToAsync(limited, inlineMax + 1, ct)
                : null;
            if (prefix is not null && prefix.Length <= inlineMax)
            {
                inline = prefix;
                length = prefix.Length;
            }
            else
            {
                key = BlobKeys.New();
                Stream source = prefix is null ? limited : new PrefixedStream(prefix, limited);
                length = await blobs.WriteAsync(key, source, declaredLength, ct);
            }
        }
        catch (PayloadTooLargeException)
        {
            return new StorageOutcome.PayloadTooLarge(limit);
        }
        catch (Exception e) when (IsClientAbort(e, ct))
        {
            LogUploadAborted(logger, owner);
            return new StorageOutcome.Aborted();
        }

        var write = new PendingPut(path, conditions, contentType, length, key, inline) { App = HistoryLabels.Clip(app), TokenId = tokenId };
        StorageOutcome outcome;
        try
        {
            outcome = await writeQueues.RunAsync(owner, write, batch => commitGroups.RunAsync(owner, batch, writeBatch.CommitGroupAsync));
        }
        catch
        {
            if (key is not null)
            {
                await blobs.DeleteQuietlyAsync(logger, key);
            }

            throw;
        }

        if (outcome is StorageOutcome.Created or StorageOutcome.Updated)
        {
            await release.DeleteUnreferencedAsync(owner, write.UnusedBlobs);
        }
        else if (key is not null)
        {
            await blobs.DeleteQuietlyAsync(logger, key);
        }

        return outcome;
    }

    /// <summary>Removes a document; its version goes to the trash (history) unless
    /// <paramref name="keepHistory"/> is false or history is off.</summary>
    public async Task<StorageOutcome> DeleteAsync(
        string owner, StoragePath path, RequestConditions conditions, CancellationToken ct, string? app = null, bool keepHistory = true, string? tokenId = null)
    {
        // Once queued, the delete runs to its commit even if the client goes away.
        _ = ct;
        var write = new PendingDelete(path, conditions) { App = HistoryLabels.Clip(app), KeepHistory = keepHistory, TokenId = tokenId };
        var outcome = await writeQueues.RunAsync(owner, write, batch => commitGroups.RunAsync(owner, batch, writeBatch.CommitGroupAsync));
        await release.DeleteUnreferencedAsync(owner, write.UnusedBlobs);
        return outcome;
    }

    /// <summary>
    /// Commits <paramref name="writes"/> of one owner as one transaction, each checked and
    /// applied in order as if alone (their outcomes are set on them), then releases the blobs
    /// they freed. For writes prepared by the server itself (restores, moves), whose bytes are already
    /// stored: they skip the request queue, since the account row lock serializes them with
    /// everything else anyway. With <paramref name="allOrNothing"/> (a move) one refused write
    /// rolls back all of them (<see cref="WriteBatch.CommitAsync"/>).
    /// </summary>
    public async Task CommitAsync(string owner, IReadOnlyList<PendingWrite> writes, bool allOrNothing = false)
    {
        if (writes.Count == 0)
        {
            return;
        }

        await writeBatch.CommitAsync(owner, writes, allOrNothing);
        var unused = writes.Where(w => w.Outcome is StorageOutcome.Created or StorageOutcome.Updated or StorageOutcome.Deleted)
            .SelectMany(w => w.UnusedBlobs ?? [])
            .ToList();
        await release.DeleteUnreferencedAsync(owner, unused);
    }

    /// <summary>Reads until <paramref name="max"/> bytes or the end of the body.</summary>
    private static async Task<byte[]> ReadUpToAsync(Stream stream, long max, CancellationToken ct)
    {
        var buffer = new byte[max];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), ct)) > 0)
        {
            filled += read;
        }

        return filled == buffer.Length ? buffer : buffer[..filled];
    }

    private static bool IsClientAbort(Exception e, CancellationToken ct) =>
        ct.IsCancellationRequested || e is OperationCanceledException or IOException or Microsoft.AspNetCore.Http.BadHttpRequestException;

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload for {Owner} ended before its body was complete; nothing stored")]
    private static partial void LogUploadAborted(ILogger logger, string owner);
}
