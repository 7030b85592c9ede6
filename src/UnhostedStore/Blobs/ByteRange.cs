namespace UnhostedStore.Blobs;

/// <summary>A contiguous run of a blob's bytes: <see cref="Length"/> bytes from offset <see cref="Start"/>.</summary>
public readonly record struct ByteRange(long Start, long Length)
{
    /// <summary>The offset of the last byte in the run.</summary>
    public long End => Start + Length - 1;
}
