namespace UnhostedStore.DataFreedom.Export;

/// <summary>
/// Lets <see cref="System.IO.Compression.ZipArchive"/> write to a response body that allows
/// only asynchronous writes (Kestrel's). The archive writes the bulk of every entry through
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, which goes straight
/// through, but a few small pieces synchronously (local headers, data descriptors, the deflate
/// stream's last block, the central directory); those are kept here, in order, until the next
/// asynchronous write or <see cref="DrainAsync"/>, which the exporter calls after every entry
/// and every copied chunk. So what is held is a few headers' worth, never a document.
/// </summary>
internal sealed class DrainedOutput(Stream inner) : Stream
{
    private readonly MemoryStream _pending = new();
    private long _written;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _pending.Write(buffer);
        _written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await DrainAsync(cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
        _written += buffer.Length;
    }

    /// <summary>Sends what synchronous writes left here.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        if (_pending.Length > 0)
        {
            await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct);
            _pending.SetLength(0);
        }
    }

    public override void Flush()
    {
        // Nothing can go out synchronously; DrainAsync and FlushAsync send it.
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await DrainAsync(cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pending.Dispose();
        }

        base.Dispose(disposing);
    }
}
