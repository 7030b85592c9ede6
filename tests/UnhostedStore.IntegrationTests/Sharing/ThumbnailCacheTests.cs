using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;
using UnhostedStore.Previews;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>The thumbnail cache on a real disk: bounded, the least recently used go first.</summary>
public sealed class ThumbnailCacheTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "us-thumbs-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Past_its_bound_the_cache_drops_the_least_recently_used_thumbnails_down_to_80_percent()
    {
        var cache = new ThumbnailCache(
            Options.Create(new DatabaseOptions { DataDirectory = _data }),
            Options.Create(new PreviewOptions { ThumbnailCacheBytes = 10_000 }),
            NullLogger<ThumbnailCache>.Instance);
        var keys = Enumerable.Range(0, 9).Select(i => ThumbnailCache.Key("alice", $"/p/{i}.png", "etag" + i, 256)).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            await cache.StoreAsync(keys[i], new byte[1000], CancellationToken.None);
            File.SetLastWriteTimeUtc(Path.Combine(cache.Folder, keys[i][..2], keys[i]), DateTime.UtcNow.AddHours(-10 + i));
        }

        Assert.Equal(9000, cache.MeasureBytes());

        // Reading renews a thumbnail that was not used for over an hour: the oldest one stays.
        Assert.NotNull(await cache.TryReadAsync(keys[0], CancellationToken.None));
        var extra = ThumbnailCache.Key("alice", "/p/new.png", "etag-new", 256);
        await cache.StoreAsync(extra, new byte[2500], CancellationToken.None);
        cache.Evict();

        Assert.InRange(cache.MeasureBytes(), 1, 8000);
        Assert.NotNull(await cache.TryReadAsync(keys[0], CancellationToken.None));
        Assert.NotNull(await cache.TryReadAsync(extra, CancellationToken.None));
        Assert.Null(await cache.TryReadAsync(keys[1], CancellationToken.None));
        Assert.Null(await cache.TryReadAsync(keys[2], CancellationToken.None));
        Assert.NotNull(await cache.TryReadAsync(keys[8], CancellationToken.None));
    }

    [Fact]
    public void A_thumbnail_is_keyed_by_owner_path_version_and_size()
    {
        var key = ThumbnailCache.Key("alice", "/p/a.png", "v1", 256);
        Assert.Equal(64, key.Length);
        Assert.Equal(key, ThumbnailCache.Key("alice", "/p/a.png", "v1", 256));
        Assert.NotEqual(key, ThumbnailCache.Key("bob", "/p/a.png", "v1", 256));
        Assert.NotEqual(key, ThumbnailCache.Key("alice", "/p/b.png", "v1", 256));
        Assert.NotEqual(key, ThumbnailCache.Key("alice", "/p/a.png", "v2", 256));
        Assert.NotEqual(key, ThumbnailCache.Key("alice", "/p/a.png", "v1", 128));
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
