using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// The account lockout, kept per client network and account name: after
/// <c>Accounts:LockoutAttempts</c> wrong passwords for one name from one client IP, that IP may not
/// try that name again for <c>Accounts:LockoutMinutes</c> (failures further apart than that are
/// forgotten). Every other IP still logs in to the
/// account at once, so an attacker can never lock its owner out (ASVS V2.2.1: anti-automation
/// that resists account-lockout attacks); the per-IP limit of failed logins
/// (<c>RateLimiting:FailedLoginsPerIpPerMinute</c>) bounds spraying many names from one IP.
/// Names are counted whether or not an account has them, so the lockout tells nothing about
/// which names exist. The counts live in memory, per instance.
/// </summary>
public sealed class LoginLockout(IOptions<AccountOptions> options, TimeProvider clock)
{
    /// <summary>Beyond this many tracked (IP, name) pairs, the oldest are forgotten first.</summary>
    internal const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<(IPAddress Ip, string Name), Entry> _entries = new();

    private int Attempts => options.Value.LockoutAttempts;

    private TimeSpan Window => TimeSpan.FromMinutes(options.Value.LockoutMinutes);

    /// <summary>How long this IP must still wait before trying <paramref name="normalizedName"/>
    /// again, or null when it may try now.</summary>
    public TimeSpan? RetryAfter(IPAddress ip, string normalizedName)
    {
        if (!_entries.TryGetValue((ip, normalizedName), out var entry))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (now - entry.Since >= Window)
        {
            _entries.TryRemove(new KeyValuePair<(IPAddress, string), Entry>((ip, normalizedName), entry));
            return null;
        }

        return entry.Failures >= Attempts ? entry.Since + Window - now : null;
    }

    /// <summary>Counts one wrong password (or recovery code) for this name from this IP.</summary>
    public void RecordFailure(IPAddress ip, string normalizedName)
    {
        var now = clock.GetUtcNow();
        _entries.AddOrUpdate(
            (ip, normalizedName),
            _ => new Entry(1, now),
            (_, old) => now - old.Since >= Window ? new Entry(1, now)

                // The failure that locks starts the lockout: it lasts the whole window from now.
                : old.Failures + 1 >= Attempts ? new Entry(old.Failures + 1, now)
                : old with { Failures = old.Failures + 1 });
        if (_entries.Count > MaxEntries)
        {
            Prune(now);
        }
    }

    /// <summary>The right password: this IP starts afresh for this name.</summary>
    public void Reset(IPAddress ip, string normalizedName) => _entries.TryRemove((ip, normalizedName), out _);

    /// <summary>Forgets what has expired, then, if an attacker spraying from many networks still
    /// fills memory, the oldest half: a forgotten pair can only try again, at the per-IP rate.</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.Since >= Window)
            {
                _entries.TryRemove(key, out _);
            }
        }

        if (_entries.Count > MaxEntries)
        {
            foreach (var (key, _) in _entries.OrderBy(e => e.Value.Since).Take(_entries.Count - (MaxEntries / 2)).ToList())
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private sealed record Entry(int Failures, DateTimeOffset Since);
}
