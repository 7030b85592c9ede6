using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Previews;

/// <summary>
/// Thumbnails on local disk, under <c>{DataDirectory}/cache/thumbnails</c>, one file per
/// (owner, path, document version, size), named by the SHA-256 of those: a new version of a
/// document gets a new name, so nothing is ever stale. It is a cache, so each instance keeps its
/// own. Size is bounded by <c>Previews:ThumbnailCacheBytes</c>: a file's time is renewed when it
/// is read (at most once an hour), and beyond the bound the oldest go first, down to 80%.
/// </summary>
public sealed partial class ThumbnailCache
{
    private static readonly TimeSpan TouchEvery = TimeSpan.FromHours(1);

    private readonly string _folder;
    private readonly long _maxBytes;
    private readonly ILogger<ThumbnailCache> _logger;
    private readonly Lock _gate = new();
    private long _bytes = -1;
    private int _evicting;

    public ThumbnailCache(IOptions<DatabaseOptions> database, IOptions<PreviewOptions> options, ILogger<ThumbnailCache> logger)
    {
        _folder = Path.Combine(Path.GetFullPath(database.Value.DataDirectory), "cache", "thumbnails");
        _maxBytes = options.Value.ThumbnailCacheBytes;
        _logger = logger;
    }

    public string Folder => _folder;

    /// <summary>The file name of one thumbnail: hex SHA-256 of its parts.</summary>
    public static string Key(string owner, string path, string etag, int pixels) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', owner, path, etag, pixels.ToString(System.Globalization.CultureInfo.InvariantCulture)))));

    /// <summary>The cached bytes, or null.</summary>
    public async Task<byte[]?> TryReadAsync(string key, CancellationToken ct)
    {
        if (_maxBytes == 0)
        {
            return null;
        }

        var file = FileOf(key);
        try
        {
            var bytes = await File.ReadAllBytesAsync(file, ct);
            var info = new FileInfo(file);
            if (DateTime.UtcNow - info.LastWriteTimeUtc > TouchEvery)
            {
                info.LastWriteTimeUtc = DateTime.UtcNow;
            }

            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Keeps <paramref name="bytes"/> under <paramref name="key"/>; a failure only costs
    /// a later rebuild.</summary>
    public async Task StoreAsync(string key, byte[] bytes, CancellationToken ct)
    {
        if (_maxBytes == 0 || bytes.Length > _maxBytes)
        {
            return;
        }

        if (Interlocked.Read(ref _bytes) < 0)
        {
            Measure();
        }

        var file = FileOf(key);
        var temp = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(temp, bytes, ct);
            File.Move(temp, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(temp);
            return;
        }

        if (Interlocked.Add(ref _bytes, bytes.Length) > _maxBytes && Interlocked.Exchange(ref _evicting, 1) == 0)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    Evict();
                }
                finally
                {
                    Volatile.Write(ref _evicting, 0);
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>Deletes the least recently used files until the cache is at 80% of its bound.</summary>
    public void Evict()
    {
        try
        {
            var files = Files().OrderBy(f => f.LastWriteTimeUtc).ToList();
            var total = files.Sum(f => f.Length);
            var target = _maxBytes * 8 / 10;
            foreach (var f in files)
            {
                if (total <= target)
                {
                    break;
                }

                TryDelete(f.FullName);
                total -= f.Length;
            }

            Interlocked.Exchange(ref _bytes, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogEvictionFailed(_logger, e);
        }
    }

    /// <summary>Total size of the cache files now.</summary>
    public long MeasureBytes() => Files().Sum(f => f.Length);

    private void Measure()
    {
        lock (_gate)
        {
            if (Interlocked.Read(ref _bytes) < 0)
            {
                Interlocked.Exchange(ref _bytes, MeasureBytes());
            }
        }
    }

    private IEnumerable<FileInfo> Files() =>
        Directory.Exists(_folder)
            ? new DirectoryInfo(_folder).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => !f.Name.EndsWith(".tmp", StringComparison.Ordinal))
            : [];

    private string FileOf(string key) => Path.Combine(_folder, key[..2], key);

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not trim the thumbnail cache")]
    private static partial void LogEvictionFailed(ILogger logger, Exception exception);
}
