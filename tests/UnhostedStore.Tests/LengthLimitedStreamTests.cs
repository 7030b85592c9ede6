using UnhostedStore.Blobs;

namespace UnhostedStore.Tests;

public class LengthLimitedStreamTests
{
    private static byte[] Bytes(int n) => Enumerable.Range(0, n).Select(i => (byte)i).ToArray();

    private static async Task<byte[]> ReadAllAsync(Stream stream, int bufferSize)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[bufferSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, 10)]
    [InlineData(10, 10)]
    public async Task A_body_up_to_the_limit_passes_through_unchanged(int size, long limit)
    {
        var data = Bytes(size);
        await using var stream = new LengthLimitedStream(new MemoryStream(data), limit);
        Assert.Equal(data, await ReadAllAsync(stream, 4));
        Assert.Equal(size, stream.Position);
    }

    [Theory]
    [InlineData(11, 10, 4)]
    [InlineData(11, 10, 64)]
    [InlineData(1, 0, 1)]
    [InlineData(2000, 1000, 333)]
    public async Task A_body_past_the_limit_throws_payload_too_large(int size, long limit, int bufferSize)
    {
        await using var stream = new LengthLimitedStream(new MemoryStream(Bytes(size)), limit);
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => ReadAllAsync(stream, bufferSize));
    }

    [Fact]
    public async Task Reads_within_the_limit_succeed_until_the_one_that_passes_it()
    {
        await using var stream = new LengthLimitedStream(new MemoryStream(Bytes(12)), 10);
        var buffer = new byte[4];
        Assert.Equal(4, await stream.ReadAsync(buffer));
        Assert.Equal(4, await stream.ReadAsync(buffer));
        await Assert.ThrowsAsync<PayloadTooLargeException>(async () => await stream.ReadExactlyAsync(buffer));
    }

    [Fact]
    public void Synchronous_reads_are_limited_too()
    {
        using var ok = new LengthLimitedStream(new MemoryStream(Bytes(10)), 10);
        var buffer = new byte[16];
        Assert.Equal(10, ok.Read(buffer, 0, buffer.Length));
        Assert.Equal(0, ok.Read(buffer, 0, buffer.Length));

        using var tooLong = new LengthLimitedStream(new MemoryStream(Bytes(11)), 10);
        Assert.Throws<PayloadTooLargeException>(() => tooLong.Read(buffer, 0, buffer.Length));
    }

    [Fact]
    public void The_stream_is_read_only_and_not_seekable()
    {
        using var stream = new LengthLimitedStream(new MemoryStream(Bytes(3)), 10);
        Assert.True(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.Length);
    }
}
