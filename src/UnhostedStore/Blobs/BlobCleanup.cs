namespace UnhostedStore.Blobs;

public static partial class BlobCleanup
{
    /// <summary>
    /// Deletes a blob that nothing points at any more. A failure is only logged: the blob is
    /// then an orphan, which the sweeper removes later, and the write that made it unreachable
    /// has already committed, so it must not fail now.
    /// </summary>
    public static async Task DeleteQuietlyAsync(this IBlobStore blobs, ILogger logger, string key)
    {
        try
        {
            await blobs.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogBlobDeleteFailed(logger, key, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete blob {Key}; the orphan sweeper will retry")]
    private static partial void LogBlobDeleteFailed(ILogger logger, string key, Exception exception);
}
