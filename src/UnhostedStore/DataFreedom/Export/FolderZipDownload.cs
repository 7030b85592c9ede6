using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using UnhostedStore.Storage;

namespace UnhostedStore.DataFreedom.Export;

/// <summary>
/// A folder as a zip download (<see cref="FolderArchive"/>), streamed as it is written: an
/// attachment, never stored by caches, sandboxed like document bytes. Once the first byte is
/// out the status cannot change, so a failure mid-way cuts the connection: the browser then
/// reports a failed download instead of keeping a zip that looks complete but is not.
/// </summary>
public static partial class FolderZipDownload
{
    public static async Task WriteAsync(HttpContext context, FolderArchive archive, string owner, StoragePath folder, string fileName, ILogger logger)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(fileName + ".zip");
        response.ContentType = "application/zip";
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = StorageResponder.DocumentContentSecurityPolicy;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await archive.WriteAsync(owner, folder, response.Body, ct);
        }
        catch (Exception e) when (ct.IsCancellationRequested || e is OperationCanceledException or IOException)
        {
            // The browser went away.
        }
        catch (Exception e)
        {
            LogZipFailed(logger, e);
            context.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A folder's zip failed mid-stream; the connection was cut")]
    private static partial void LogZipFailed(ILogger logger, Exception exception);
}
