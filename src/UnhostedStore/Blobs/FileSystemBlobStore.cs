using System.Runtime.InteropServices;

namespace UnhostedStore.Blobs;

/// <summary>
/// Blobs as files under <c>{DataDirectory}/blobs/ab/cd/&lt;key&gt;</c>. A write goes to a temp
/// file, is fsynced, renamed into place, and the directory is fsynced, so a key either holds the
/// whole blob or does not exist, even after a crash.
/// </summary>
public sealed partial class FileSystemBlobStore : IBlobStore
{
    private const int BufferSize = 81920;

    private readonly string _root;
    private readonly string _temp;

    public FileSystemBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        _temp = Path.Combine(_root, "tmp");
        Directory.CreateDirectory(_temp);
    }

    public string Root => _root;

    public string PathFor(string key)
    {
        if (!BlobKeys.IsValid(key))
        {
            throw new ArgumentException("Invalid blob key.", nameof(key));
        }

        return Path.Combine(_root, key[..2], key[2..4], key);
    }

    public async Task<long> WriteAsync(string key, Stream content, long? length, CancellationToken cancellationToken)
    {
        var final = PathFor(key);
        var temp = Path.Combine(_temp, key + "." + Guid.NewGuid().ToString("N") + ".tmp");
        long written = 0;
        try
        {
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            }))
            {
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    int read;
                    while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                    {
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        written += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }

                // Durable before the metadata commit can point at it.
                file.Flush(flushToDisk: true);
            }

            var dir = Path.GetDirectoryName(final)!;
            Directory.CreateDirectory(dir);
            File.Move(temp, final, overwrite: false);
            FsyncDirectory(dir);
            return written;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(PathFor(key), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(key);
        }

        if (range is { } r)
        {
            stream.Position = r.Start;
        }

        return Task.FromResult<Stream>(stream);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        TryDelete(PathFor(key));
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<BlobEntry> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(file);
            if (!BlobKeys.IsValid(name))
            {
                continue;
            }

            var info = new FileInfo(file);
            if (info.Exists)
            {
                yield return new BlobEntry(name, info.LastWriteTimeUtc, info.Length);
            }
        }

        await Task.CompletedTask;
    }

    public Task CheckAsync(CancellationToken cancellationToken) =>
        Directory.Exists(_root) ? Task.CompletedTask : throw new BlobStoreUnavailableException($"Blob directory {_root} is missing.");

    public IReadOnlyList<BlobEntry> ListStaleTempFiles(DateTime olderThanUtc) => TempFiles.ListStale(_temp, olderThanUtc);

    public void DeleteTempFile(string name) => TempFiles.Delete(_temp, name);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    // A rename is durable only once its directory entry is; .NET has no API for that.
    private static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(dir, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
