namespace UnhostedStore.Blobs;

/// <summary>The streams an upload and a download go through on their way to and from S3.</summary>
public sealed partial class S3BlobStore
{
    private sealed class BodyEndedEarlyException(string message) : IOException(message);

    /// <summary>Counts what was read and remembers a failure of the client's body, so an
    /// upload error can be told apart from an S3 error.</summary>
    private sealed class ReadTrackingStream(Stream inner) : ReadOnlyStream
    {
        public long BytesRead { get; private set; }

        public Exception? ReadFailure { get; private set; }

        public override long Position
        {
            get => BytesRead;
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                var n = await inner.ReadAsync(buffer, cancellationToken);
                BytesRead += n;
                return n;
            }
            catch (Exception e)
            {
                ReadFailure = e;
                throw;
            }
        }
    }

    /// <summary>Cancels <c>stall</c> when the consumer (the upload to S3) stops reading for
    /// longer than the timeout; the clock does not run while a read of the client's body is
    /// pending, so a slow client is never mistaken for a stalled S3.</summary>
    private sealed class StallWatchStream(Stream inner, CancellationTokenSource stall, TimeSpan timeout) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            stall.CancelAfter(Timeout.InfiniteTimeSpan);
            var n = await inner.ReadAsync(buffer, CancellationToken.None);
            stall.CancelAfter(timeout);
            return n;
        }


    }

    /// <summary>The body of a presigned GET; disposing it releases the HTTP response.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream body) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await body.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                throw new BlobStoreUnavailableException($"S3 GET broke off: {e.Message}", e);
            }
        }



        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
