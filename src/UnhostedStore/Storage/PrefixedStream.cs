using UnhostedStore.Blobs;

namespace UnhostedStore.Storage;

/// <summary>Reads <c>prefix</c> first and then the rest of <c>inner</c>: the bytes a PUT already
/// read while deciding whether the document is small enough to keep inline.</summary>
public sealed class PrefixedStream(byte[] prefix, Stream inner) : ReadOnlyStream
{
    private int _offset;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_offset < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _offset);
            prefix.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        return await inner.ReadAsync(buffer, cancellationToken);
    }
}
