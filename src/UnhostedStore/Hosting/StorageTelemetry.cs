using UnhostedStore.Storage;
using UnhostedStore.Telemetry;

namespace UnhostedStore.Hosting;

/// <summary>
/// Turns what a storage request was answered into the plain figures the metrics keep. It lives
/// here, where the rooms meet, so that the protocol core knows nothing of metrics and the
/// metrics know nothing of the protocol's outcomes.
/// </summary>
internal static class StorageTelemetry
{
    public static async Task HandleAsync(HttpContext context)
    {
        var exchange = await StorageEndpoints.HandleAsync(context);
        Record(context.Request.Method, exchange);
    }

    private static void Record(string method, StorageExchange exchange)
    {
        var head = StorageEndpoints.IsMethod(method, HttpMethods.Head);
        if (head || StorageEndpoints.IsMethod(method, HttpMethods.Get))
        {
            StoreMetrics.RecordStorageRead(exchange.Outcome is StorageOutcome.NotModified);
        }

        StoreMetrics.RecordBytesIn(exchange.BytesReceived);
        switch (exchange.Outcome)
        {
            case StorageOutcome.DocumentFound found when !head && found.Body is not null:
                StoreMetrics.RecordBytesOut(found.Range?.Length ?? found.Document.ContentLength);
                break;
            case StorageOutcome.FolderListed listed when !head:
                StoreMetrics.RecordBytesOut(listed.Body.Length);
                break;
            case StorageOutcome.InsufficientStorage:
                StoreMetrics.RecordQuotaRejection();
                break;
            case StorageOutcome.Unauthorized { TokenSent: true }:
                StoreMetrics.RecordTokenFailure();
                break;
        }
    }
}
