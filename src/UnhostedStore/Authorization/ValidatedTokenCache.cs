using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using OpenIddict.Abstractions;

namespace UnhostedStore.Authorization;

/// <summary>What storage needs to know about a valid access token. <paramref name="Client"/> is
/// the app the token was issued to: its origin (draft-26 §10, <see cref="OriginClientHandler"/>
/// makes the origin the client_id), recorded on the versions it writes.</summary>
public sealed record StorageGrant(string Subject, ScopeSet Scopes, string? TokenId, string? AuthorizationId, DateTimeOffset? ExpiresUtc, string? Client = null)
{
    public static StorageGrant? FromPrincipal(ClaimsPrincipal principal) =>
        StorageClaims.GetSubject(principal) is { } subject
            ? new StorageGrant(subject, StorageClaims.GetScopes(principal), principal.GetTokenId(), principal.GetAuthorizationId(), principal.GetExpirationDate(), StorageClaims.GetClient(principal))
            : null;
}

/// <summary>The SHA-256 of a bearer token: the cache never holds tokens themselves.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct TokenKey(ulong A, ulong B, ulong C, ulong D)
{
    public static TokenKey Of(string token)
    {
        Span<byte> utf8 = stackalloc byte[BearerToken.MaxLength];
        var length = Encoding.UTF8.GetBytes(token, utf8);
        Span<ulong> hash = stackalloc ulong[4];
        SHA256.HashData(utf8[..length], MemoryMarshal.AsBytes(hash));
        return new TokenKey(hash[0], hash[1], hash[2], hash[3]);
    }
}

/// <summary>
/// Access tokens that passed OpenIddict's full validation (token entry and grant entry, both
/// valid, not expired), so that the next requests with the same token need no database round trip.
/// Correctness rests on invalidation, never on a time-to-live:
/// <list type="bullet">
/// <item>every change of a token's or grant's status or expiry, and every deletion, in the
/// database, by whichever process (this one, another instance, the CLI, OpenIddict's own
/// code-replay revocation), reaches <see cref="Invalidate"/> or <see cref="Clear"/> through
/// database triggers (<see cref="AuthChangeFeeds"/>);</item>
/// <item>while that feed is not known to be working, the cache answers nothing
/// (<see cref="SetLive"/>), so every request is checked against the database;</item>
/// <item>an entry validated before an invalidation is never added after it (the generation check).</item>
/// </list>
/// </summary>
public sealed class ValidatedTokenCache(TimeProvider clock)
{
    /// <summary>Beyond this many tokens the idle ones are dropped (about 200 bytes each).</summary>
    public const int MaxEntries = 100_000;

    /// <summary>Entries unused this long go first when the cache is full.</summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<TokenKey, Entry> _entries = new();
    private long _generation;
    private volatile bool _live;

    /// <summary>True while invalidations are known to arrive; false answers every lookup with a miss.</summary>
    public bool IsLive => _live;

    public int Count => _entries.Count;

    /// <summary>Read before validating against the database; pass to <see cref="TryAdd"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(TokenKey key, out StorageGrant grant)
    {
        if (_live && _entries.TryGetValue(key, out var entry))
        {
            var now = clock.GetUtcNow();
            if (entry.Grant.ExpiresUtc is not { } expires || expires > now)
            {
                entry.LastUsedTicks = now.UtcTicks;
                grant = entry.Grant;
                return true;
            }

            _entries.TryRemove(new KeyValuePair<TokenKey, Entry>(key, entry));
        }

        grant = null!;
        return false;
    }

    /// <summary>Adds a grant validated against the database, unless an invalidation happened since
    /// <paramref name="generation"/> was read (the validation may have seen the old state).</summary>
    public void TryAdd(TokenKey key, StorageGrant grant, long generation)
    {
        if (!_live || Generation != generation)
        {
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            Trim();
        }

        var entry = new Entry(grant) { LastUsedTicks = clock.GetUtcNow().UtcTicks };
        _entries[key] = entry;

        // An invalidation may have run between the check above and the write: it could not see
        // the new entry, so take it out again.
        if (Generation != generation)
        {
            _entries.TryRemove(new KeyValuePair<TokenKey, Entry>(key, entry));
        }
    }

    /// <summary>
    /// Raised after every invalidation, with the id of the token or grant that changed, or null
    /// when any may have: requests that outlive one validation (change streams) check again.
    /// </summary>
    public event Action<string?>? Invalidated;

    /// <summary>A token or grant with this id changed: drop every entry that depends on it.</summary>
    public void Invalidate(string id)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
        {
            if (string.Equals(entry.Grant.TokenId, id, StringComparison.Ordinal)
                || string.Equals(entry.Grant.AuthorizationId, id, StringComparison.Ordinal))
            {
                _entries.TryRemove(new KeyValuePair<TokenKey, Entry>(key, entry));
            }
        }

        Invalidated?.Invoke(id);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        Invalidated?.Invoke(null);
    }

    /// <summary>Turns the cache on when the invalidation feed starts working, and off (emptied)
    /// when it stops: invalidations missed meanwhile can't be recovered.</summary>
    public void SetLive(bool live)
    {
        Clear();
        _live = live;
        Clear();
    }

    private void Trim()
    {
        var now = clock.GetUtcNow();
        var idleBefore = (now - IdleLimit).UtcTicks;
        foreach (var (key, entry) in _entries)
        {
            if (entry.LastUsedTicks < idleBefore || entry.Grant.ExpiresUtc <= now)
            {
                _entries.TryRemove(new KeyValuePair<TokenKey, Entry>(key, entry));
            }
        }

        if (_entries.Count >= MaxEntries)
        {
            // Still full of tokens in use: start over rather than let memory grow.
            Clear();
        }
    }

    private sealed class Entry(StorageGrant grant)
    {
        public StorageGrant Grant { get; } = grant;

        public long LastUsedTicks { get; set; }
    }
}
