namespace UnhostedStore.Blobs;

/// <summary>Thrown inside an upload when the body passes the size limit.</summary>
public sealed class PayloadTooLargeException() : Exception("The request body is larger than the limit.");

/// <summary>
/// A read-only pass-through that fails as soon as more than <c>limit</c> bytes have been read,
/// so a chunked upload of unknown length is stopped at the limit instead of stored whole.
/// </summary>
public sealed class LengthLimitedStream(Stream inner, long limit) : ReadOnlyStream
{
    private long _read;

    /// <summary>How many bytes have been read so far.</summary>
    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        return Count(n);
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    private int Count(int n)
    {
        _read += n;
        if (_read > limit)
        {
            throw new PayloadTooLargeException();
        }

        return n;
    }
}
