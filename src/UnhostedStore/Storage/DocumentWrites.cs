using Microsoft.Extensions.Options;
using UnhostedStore.Blobs;

namespace UnhostedStore.Storage;

/// <summary>
/// PUT and DELETE of a document (draft-26 §5). The bytes are stored first, under a fresh key
/// (or kept for the row itself when small); then the write joins its user's queue
/// (<see cref="UserWriteQueues"/>) and <see cref="WriteBatch"/> commits it; only after that
/// commit is a blob no row points at any more removed, unless an export holds the user's blobs
/// (<see cref="BlobHolds"/>); then the sweeper removes it once the hold has ended.
/// </summary>
public sealed partial class DocumentWrites(
    IBlobStore blobs,
    UserWriteQueues writeQueues,
    WriteBatch writeBatch,
    BlobHolds holds,
    IOptions<StorageOptions> options,
    ILogger<DocumentWrites> logger)
{
    /// <summary>
    /// Stores a new version. Small bodies (up to <c>Storage:InlineMaxBytes</c>) go into the
    /// metadata row itself; larger ones go to a fresh blob key first. Then one transaction makes
    /// the version current, and only after its commit is the old blob removed.
    /// </summary>
    public async Task<StorageOutcome> PutAsync(
        string owner, StoragePath path, string contentType, Stream body, long? declaredLength, RequestConditions conditions, CancellationToken ct)
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

        var write = new PendingPut(path, conditions, contentType, length, key, inline);
        StorageOutcome outcome;
        try
        {
            outcome = await writeQueues.RunAsync(owner, write, batch => writeBatch.CommitAsync(owner, batch));
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
            if (write.UnusedBlob is { } oldBlob)
            {
                await DeleteUnlessHeldAsync(owner, oldBlob);
            }
        }
        else if (key is not null)
        {
            await blobs.DeleteQuietlyAsync(logger, key);
        }

        return outcome;
    }

    public async Task<StorageOutcome> DeleteAsync(string owner, StoragePath path, RequestConditions conditions, CancellationToken ct)
    {
        // Once queued, the delete runs to its commit even if the client goes away.
        _ = ct;
        var write = new PendingDelete(path, conditions);
        var outcome = await writeQueues.RunAsync(owner, write, batch => writeBatch.CommitAsync(owner, batch));
        if (write.UnusedBlob is { } blobKey)
        {
            await DeleteUnlessHeldAsync(owner, blobKey);
        }

        return outcome;
    }

    /// <summary>Removes a blob the commit made unreachable, unless an export of the owner may
    /// still read it (<see cref="BlobHolds"/>): then it is left as an orphan for the sweeper.</summary>
    private async Task DeleteUnlessHeldAsync(string owner, string key)
    {
        bool held;
        try
        {
            held = await holds.IsHeldAsync(owner, CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            // The write has committed; when the check fails, keeping the blob (an orphan the
            // sweeper removes later) is the safe side.
            held = true;
        }

        if (!held)
        {
            await blobs.DeleteQuietlyAsync(logger, key);
        }
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
