using UnhostedStore.Authorization;

namespace UnhostedStore.Tests;

public class ValidatedTokenCacheTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);

    private static StorageGrant Grant(string tokenId, string authorizationId, DateTimeOffset? expires = null)
    {
        Assert.True(ScopeSet.TryParse("notes:rw", out var scopes));
        return new StorageGrant("alice", scopes, tokenId, authorizationId, expires ?? Start.AddHours(1));
    }

    private ValidatedTokenCache LiveCache()
    {
        var cache = new ValidatedTokenCache(_clock);
        cache.SetLive(true);
        return cache;
    }

    private static void Add(ValidatedTokenCache cache, string token, StorageGrant grant) =>
        cache.TryAdd(TokenKey.Of(token), grant, cache.Generation);

    [Fact]
    public void A_new_cache_is_not_live_misses_and_ignores_TryAdd()
    {
        var cache = new ValidatedTokenCache(_clock);
        Assert.False(cache.IsLive);
        Add(cache, "token-a", Grant("t1", "a1"));
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
    }

    [Fact]
    public void A_live_cache_returns_the_grant_added_for_the_token()
    {
        var cache = LiveCache();
        var grant = Grant("t1", "a1");
        Add(cache, "token-a", grant);
        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet(TokenKey.Of("token-a"), out var found));
        Assert.Same(grant, found);
        Assert.False(cache.TryGet(TokenKey.Of("token-b"), out _));
    }

    [Fact]
    public void TryAdd_with_a_generation_read_before_an_Invalidate_is_dropped()
    {
        var cache = LiveCache();
        var generation = cache.Generation;

        // Even an invalidation of an unrelated id: the validation may have read the old state.
        cache.Invalidate("some-other-id");
        cache.TryAdd(TokenKey.Of("token-a"), Grant("t1", "a1"), generation);
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));

        // Read afresh after the invalidation, it is added.
        cache.TryAdd(TokenKey.Of("token-a"), Grant("t1", "a1"), cache.Generation);
        Assert.True(cache.TryGet(TokenKey.Of("token-a"), out _));
    }

    [Fact]
    public void TryAdd_with_a_generation_read_before_a_Clear_is_dropped()
    {
        var cache = LiveCache();
        var generation = cache.Generation;
        cache.Clear();
        cache.TryAdd(TokenKey.Of("token-a"), Grant("t1", "a1"), generation);
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
    }

    [Fact]
    public void TryAdd_with_a_generation_read_before_SetLive_is_dropped()
    {
        var cache = LiveCache();
        var generation = cache.Generation;
        cache.SetLive(false);
        cache.SetLive(true);
        cache.TryAdd(TokenKey.Of("token-a"), Grant("t1", "a1"), generation);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Invalidate_by_token_id_removes_only_that_token()
    {
        var cache = LiveCache();
        Add(cache, "token-a", Grant("t1", "a1"));
        Add(cache, "token-b", Grant("t2", "a1"));
        Add(cache, "token-c", Grant("t3", "a2"));

        cache.Invalidate("t2");

        Assert.True(cache.TryGet(TokenKey.Of("token-a"), out _));
        Assert.False(cache.TryGet(TokenKey.Of("token-b"), out _));
        Assert.True(cache.TryGet(TokenKey.Of("token-c"), out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Invalidate_by_authorization_id_removes_every_token_of_that_grant_and_no_other()
    {
        var cache = LiveCache();
        Add(cache, "token-a", Grant("t1", "a1"));
        Add(cache, "token-b", Grant("t2", "a1"));
        Add(cache, "token-c", Grant("t3", "a2"));

        cache.Invalidate("a1");

        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
        Assert.False(cache.TryGet(TokenKey.Of("token-b"), out _));
        Assert.True(cache.TryGet(TokenKey.Of("token-c"), out var other));
        Assert.Equal("a2", other.AuthorizationId);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Invalidate_of_an_unknown_id_or_a_prefix_removes_nothing()
    {
        var cache = LiveCache();
        Add(cache, "token-a", Grant("t1", "a1"));
        cache.Invalidate("t");
        cache.Invalidate("A1");
        cache.Invalidate("nothing");
        Assert.True(cache.TryGet(TokenKey.Of("token-a"), out _));
    }

    [Fact]
    public void An_entry_is_a_hit_until_its_expiry_and_a_miss_from_then_on()
    {
        var cache = LiveCache();
        Add(cache, "token-a", Grant("t1", "a1", Start.AddMinutes(10)));

        _clock.Now = Start.AddMinutes(10).AddTicks(-1);
        Assert.True(cache.TryGet(TokenKey.Of("token-a"), out _));

        _clock.Now = Start.AddMinutes(10);
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
        Assert.Equal(0, cache.Count);

        // It stays a miss when the clock is wound back: the expired entry was removed.
        _clock.Now = Start;
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
    }

    [Fact]
    public void SetLive_false_empties_the_cache_and_it_stays_empty_when_live_again()
    {
        var cache = LiveCache();
        Add(cache, "token-a", Grant("t1", "a1"));
        Add(cache, "token-b", Grant("t2", "a2"));
        Assert.Equal(2, cache.Count);

        cache.SetLive(false);
        Assert.False(cache.IsLive);
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
        Add(cache, "token-a", Grant("t1", "a1"));
        Assert.Equal(0, cache.Count);

        cache.SetLive(true);
        Assert.True(cache.IsLive);
        Assert.False(cache.TryGet(TokenKey.Of("token-a"), out _));
        Assert.False(cache.TryGet(TokenKey.Of("token-b"), out _));
    }

    [Fact]
    public void Clear_empties_the_cache_and_moves_the_generation()
    {
        var cache = LiveCache();
        Add(cache, "token-a", Grant("t1", "a1"));
        var before = cache.Generation;
        cache.Clear();
        Assert.NotEqual(before, cache.Generation);
        Assert.Equal(0, cache.Count);
        Assert.True(cache.IsLive);
    }

    [Fact]
    public void TokenKey_is_equal_for_equal_tokens_and_different_for_different_ones()
    {
        var token = "Abc-def_ghi.jkl~" + new string('x', 40);
        var same = new string(token.AsSpan());
        Assert.NotSame(token, same);
        Assert.Equal(TokenKey.Of(token), TokenKey.Of(same));
        Assert.Equal(TokenKey.Of(token).GetHashCode(), TokenKey.Of(same).GetHashCode());

        Assert.NotEqual(TokenKey.Of(token), TokenKey.Of(token + "y"));
        Assert.NotEqual(TokenKey.Of(token), TokenKey.Of(token[..^1] + "y"));
        Assert.NotEqual(TokenKey.Of(token), TokenKey.Of(token.ToUpperInvariant()));
        Assert.NotEqual(TokenKey.Of("a"), TokenKey.Of("b"));
    }

    [Fact]
    public void TokenKey_is_the_sha256_of_the_token()
    {
        var key = TokenKey.Of("abc");
        ReadOnlySpan<ulong> words = [key.A, key.B, key.C, key.D];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(words).ToArray();
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(bytes));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
