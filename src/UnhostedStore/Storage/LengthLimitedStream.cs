namespace UnhostedStore.Storage;

/// <summary>Thrown inside an upload when the body passes the size limit.</summary>
public sealed class PayloadTooLargeException() : Exception("The request body is larger than the limit.");

/// <summary>
/// A read-only pass-through that fails as soon as more than <c>limit</c> bytes have been read,
/// so a chunked upload of unknown length is stopped at the limit instead of stored whole.
/// </summary>
public sealed class LengthLimitedStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

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

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
