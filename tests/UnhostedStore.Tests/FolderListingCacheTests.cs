using System.Text;
using Microsoft.Extensions.Options;
using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class FolderListingCacheTests
{
    private static FolderListingCache Cache(long budget) =>
        new(Options.Create(new StorageOptions { ListingCacheBytes = budget }));

    private static byte[] Body(int length, char fill = 'x') => Encoding.ASCII.GetBytes(new string(fill, length));

    /// <summary>LastUsed comes from Environment.TickCount64 (a few ms resolution): let it move on.</summary>
    private static void LetTheClockTick() => Thread.Sleep(30);

    [Fact]
    public void Find_after_Store_returns_the_body_and_the_etag_stored()
    {
        var cache = Cache(1000);
        var body = Encoding.UTF8.GetBytes("""{"items":{}}""");

        cache.Store("alice", "/notes/", "etag-1", body);

        var entry = cache.Find("alice", "/notes/");
        Assert.NotNull(entry);
        Assert.Equal("etag-1", entry.ETag);
        Assert.Equal(body, entry.Body.ToArray());
        Assert.Equal(body.Length, cache.Bytes);
    }

    [Fact]
    public void Find_for_another_path_or_another_owner_returns_null()
    {
        var cache = Cache(1000);
        cache.Store("alice", "/notes/", "etag-1", Body(10));

        Assert.Null(cache.Find("alice", "/notes/sub/"));
        Assert.Null(cache.Find("alice", "/notes"));
        Assert.Null(cache.Find("bob", "/notes/"));
        Assert.Null(cache.Find("Alice", "/notes/"));
        Assert.NotNull(cache.Find("alice", "/notes/"));
    }

    [Fact]
    public void Store_with_a_new_etag_replaces_the_entry_and_Bytes_counts_only_the_new_body()
    {
        var cache = Cache(1000);
        cache.Store("alice", "/notes/", "etag-1", Body(100, 'a'));
        cache.Store("alice", "/notes/", "etag-2", Body(40, 'b'));

        var entry = cache.Find("alice", "/notes/");
        Assert.NotNull(entry);
        Assert.Equal("etag-2", entry.ETag);
        Assert.Equal(Body(40, 'b'), entry.Body.ToArray());
        Assert.Equal(40, cache.Bytes);

        cache.Store("alice", "/notes/", "etag-3", Body(60, 'c'));
        Assert.Equal(60, cache.Bytes);
    }

    [Fact]
    public void A_body_larger_than_a_quarter_of_the_budget_is_not_cached()
    {
        var cache = Cache(1000);

        cache.Store("alice", "/big/", "etag-1", Body(251));
        Assert.Null(cache.Find("alice", "/big/"));
        Assert.Equal(0, cache.Bytes);

        cache.Store("alice", "/quarter/", "etag-1", Body(250));
        Assert.NotNull(cache.Find("alice", "/quarter/"));
        Assert.Equal(250, cache.Bytes);
    }

    [Fact]
    public void A_folder_that_outgrows_a_quarter_of_the_budget_loses_its_older_listing()
    {
        var cache = Cache(1000);
        cache.Store("alice", "/notes/", "etag-1", Body(100));

        cache.Store("alice", "/notes/", "etag-2", Body(300));

        // The etag-1 listing can never be served again (the folder is at etag-2): keeping it,
        // touched by every Find, would hold budget for nothing.
        Assert.Null(cache.Find("alice", "/notes/"));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Going_over_the_budget_trims_the_least_recently_used_listings_first_down_to_three_quarters()
    {
        var cache = Cache(1000);
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            cache.Store("alice", $"/{name}/", "etag-" + name, Body(200));
            LetTheClockTick();
        }

        // Exactly at the budget: nothing goes yet.
        Assert.Equal(1000, cache.Bytes);

        // Reading /a/ makes it the most recently used of the five.
        Assert.NotNull(cache.Find("alice", "/a/"));
        LetTheClockTick();

        cache.Store("alice", "/f/", "etag-f", Body(200));

        Assert.True(cache.Bytes <= 750, $"Bytes {cache.Bytes} should be at most 3/4 of the budget");
        Assert.Equal(600, cache.Bytes);
        Assert.Null(cache.Find("alice", "/b/"));
        Assert.Null(cache.Find("alice", "/c/"));
        Assert.Null(cache.Find("alice", "/d/"));
        Assert.NotNull(cache.Find("alice", "/a/"));
        Assert.NotNull(cache.Find("alice", "/e/"));
        Assert.NotNull(cache.Find("alice", "/f/"));
    }

    [Fact]
    public void A_budget_of_zero_caches_nothing()
    {
        var cache = Cache(0);

        cache.Store("alice", "/notes/", "etag-1", Body(1));
        cache.Store("alice", "/empty/", "etag-2", ReadOnlyMemory<byte>.Empty);

        Assert.Null(cache.Find("alice", "/notes/"));
        Assert.Null(cache.Find("alice", "/empty/"));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public async Task Concurrent_Stores_of_one_folder_keep_Bytes_equal_to_the_cached_body()
    {
        var cache = Cache(1L << 30);
        var start = new Barrier(2);

        // Two writers race on one key with different sizes; Bytes must account for exactly one body.
        byte[][] bodies = [Body(10), Body(1000)];
        var writers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 50_000; i++)
            {
                cache.Store("alice", "/notes/", $"etag-{t}", bodies[t]);
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));

        var entry = cache.Find("alice", "/notes/");
        Assert.NotNull(entry);
        Assert.Equal(entry.Body.Length, cache.Bytes);
    }
}
