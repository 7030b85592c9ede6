using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using UnhostedStore.Blobs;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Blobs;

public abstract class BlobStoreFixture : IAsyncLifetime
{
    public IBlobStore Store { get; protected set; } = null!;

    public abstract Task InitializeAsync();

    /// <summary>A store of the same kind whose folder or bucket does not exist.</summary>
    public abstract IBlobStore CreateStoreWithoutItsContainer();

    public virtual Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class FileSystemBlobFixture : BlobStoreFixture
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "us-blobs-" + Guid.NewGuid().ToString("N"));

    public override Task InitializeAsync()
    {
        Store = new FileSystemBlobStore(_root);
        return Task.CompletedTask;
    }

    public override IBlobStore CreateStoreWithoutItsContainer()
    {
        var root = Path.Combine(_root, "gone");
        var store = new FileSystemBlobStore(root);
        Directory.Delete(root, recursive: true);
        return store;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}

public sealed class S3BlobFixture : BlobStoreFixture
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "us-spool-" + Guid.NewGuid().ToString("N"));

    public override async Task InitializeAsync()
    {
        var options = new S3Options
        {
            Endpoint = TestS3.Endpoint,
            AccessKey = TestS3.AccessKey,
            SecretKey = TestS3.SecretKey,
            Bucket = "blobs-" + Guid.NewGuid().ToString("N")[..20],
        };
        var store = new S3BlobStore(options, _spool, NullLogger<S3BlobStore>.Instance);
        await store.EnsureBucketAsync(CancellationToken.None);
        Store = store;
    }

    public override IBlobStore CreateStoreWithoutItsContainer() =>
        new S3BlobStore(
            new S3Options
            {
                Endpoint = TestS3.Endpoint,
                AccessKey = TestS3.AccessKey,
                SecretKey = TestS3.SecretKey,
                Bucket = "missing-" + Guid.NewGuid().ToString("N")[..20],
            },
            _spool,
            NullLogger<S3BlobStore>.Instance);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_spool, recursive: true);
    }
}

/// <summary>The one contract every blob store keeps, run on the filesystem and on a real S3 server.</summary>
public abstract class BlobStoreContractTests(BlobStoreFixture fixture)
{
    private IBlobStore Store => fixture.Store;

    private static byte[] RandomBytes(int n) => RandomNumberGenerator.GetBytes(n);

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(70_000, true)]
    [InlineData(70_000, false)]
    public async Task Put_then_get_returns_the_same_bytes(int size, bool lengthKnown)
    {
        var key = BlobKeys.New();
        var data = RandomBytes(size);
        var written = await Store.WriteAsync(key, new MemoryStream(data), lengthKnown ? size : null, CancellationToken.None);
        Assert.Equal(size, written);
        Assert.Equal(data, await ReadAllAsync(await Store.OpenReadAsync(key, null, CancellationToken.None)));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 100_000)]
    [InlineData(12_345, 1)]
    [InlineData(99_000, 1_000)]
    [InlineData(50_000, 30_000)]
    public async Task Range_read_returns_exactly_the_requested_bytes(long start, long length)
    {
        var key = BlobKeys.New();
        var data = RandomBytes(100_000);
        await Store.WriteAsync(key, new MemoryStream(data), data.Length, CancellationToken.None);
        var stream = await Store.OpenReadAsync(key, new ByteRange(start, length), CancellationToken.None);

        // A ranged stream may run on past the range (a file); callers read exactly Length bytes.
        var buffer = new byte[length];
        var filled = 0;
        await using (stream)
        {
            int n;
            while (filled < length && (n = await stream.ReadAsync(buffer.AsMemory(filled))) > 0)
            {
                filled += n;
            }
        }

        Assert.Equal(length, filled);
        Assert.Equal(data.AsSpan((int)start, (int)length).ToArray(), buffer);
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_deleting_again_is_not_an_error()
    {
        var key = BlobKeys.New();
        await Store.WriteAsync(key, new MemoryStream(RandomBytes(10)), 10, CancellationToken.None);
        await Store.DeleteAsync(key, CancellationToken.None);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync(key, null, CancellationToken.None));
        await Store.DeleteAsync(key, CancellationToken.None);
    }

    [Fact]
    public async Task Reading_a_missing_key_throws_blob_not_found()
    {
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync(BlobKeys.New(), null, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync(BlobKeys.New(), new ByteRange(0, 1), CancellationToken.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_large_object_streams_through_whole(bool lengthKnown)
    {
        const int size = 24 * 1024 * 1024;
        var key = BlobKeys.New();
        var data = RandomBytes(size);
        var written = await Store.WriteAsync(key, new MemoryStream(data), lengthKnown ? size : null, CancellationToken.None);
        Assert.Equal(size, written);
        var read = await ReadAllAsync(await Store.OpenReadAsync(key, null, CancellationToken.None));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(read));
        await Store.DeleteAsync(key, CancellationToken.None);
    }

    [Fact]
    public async Task Concurrent_writers_each_get_their_own_intact_blob()
    {
        var blobs = Enumerable.Range(0, 12).Select(_ => (Key: BlobKeys.New(), Data: RandomBytes(40_000))).ToList();
        await Task.WhenAll(blobs.Select(b => Store.WriteAsync(b.Key, new MemoryStream(b.Data), b.Data.Length, CancellationToken.None)));
        foreach (var (key, data) in blobs)
        {
            Assert.Equal(data, await ReadAllAsync(await Store.OpenReadAsync(key, null, CancellationToken.None)));
        }
    }

    [Fact]
    public async Task A_failed_upload_leaves_nothing_under_its_key()
    {
        var key = BlobKeys.New();
        var failing = new FailingStream(RandomBytes(200_000), failAfter: 100_000);
        await Assert.ThrowsAnyAsync<IOException>(() => Store.WriteAsync(key, failing, 200_000, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync(key, null, CancellationToken.None));
        var keys = new List<string>();
        await foreach (var blob in Store.ListAsync(CancellationToken.None))
        {
            keys.Add(blob.Key);
        }

        Assert.DoesNotContain(key, keys);
    }

    [Fact]
    public async Task List_returns_every_written_key_with_its_length()
    {
        var key = BlobKeys.New();
        await Store.WriteAsync(key, new MemoryStream(RandomBytes(1234)), 1234, CancellationToken.None);
        BlobEntry? found = null;
        await foreach (var blob in Store.ListAsync(CancellationToken.None))
        {
            if (blob.Key == key)
            {
                found = blob;
            }
        }

        Assert.NotNull(found);
        Assert.Equal(1234, found.Length);
        Assert.InRange(found.LastModifiedUtc, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Check_succeeds_on_a_usable_store_and_reports_unavailable_when_its_folder_or_bucket_is_missing()
    {
        Assert.Null(await Record.ExceptionAsync(() => Store.CheckAsync(CancellationToken.None)));

        var missing = fixture.CreateStoreWithoutItsContainer();
        try
        {
            await Assert.ThrowsAsync<BlobStoreUnavailableException>(() => missing.CheckAsync(CancellationToken.None));
        }
        finally
        {
            (missing as IDisposable)?.Dispose();
        }
    }

    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAfter)
            {
                throw new IOException("The client went away.");
            }

            var limited = buffer[..(int)Math.Min(buffer.Length, failAfter - Position)];
            return await base.ReadAsync(limited, cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= failAfter)
            {
                throw new IOException("The client went away.");
            }

            return base.Read(buffer, offset, (int)Math.Min(count, failAfter - Position));
        }
    }
}

public sealed class BlobStoreContractTests_FileSystem(FileSystemBlobFixture fixture) : BlobStoreContractTests(fixture), IClassFixture<FileSystemBlobFixture>;

public sealed class BlobStoreContractTests_S3(S3BlobFixture fixture) : BlobStoreContractTests(fixture), IClassFixture<S3BlobFixture>;
