using System.Net;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;

namespace UnhostedStore.Tests;

/// <summary>The lockout per client IP and account name (<c>Accounts:LockoutAttempts</c>,
/// <c>Accounts:LockoutMinutes</c>).</summary>
public sealed class LoginLockoutTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Owner = IPAddress.Parse("198.51.100.20");

    private readonly Clock _clock = new();
    private readonly LoginLockout _lockout;

    public LoginLockoutTests() =>
        _lockout = new LoginLockout(Options.Create(new AccountOptions { LockoutAttempts = 3, LockoutMinutes = 15 }), _clock);

    [Fact]
    public void The_last_allowed_failure_locks_that_ip_out_of_that_name_for_the_whole_lockout()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(_lockout.RetryAfter(Attacker, "ALICE"));
            _clock.Advance(TimeSpan.FromMinutes(1));
            _lockout.RecordFailure(Attacker, "ALICE");
        }

        Assert.Equal(TimeSpan.FromMinutes(15), _lockout.RetryAfter(Attacker, "ALICE"));
        Assert.Null(_lockout.RetryAfter(Owner, "ALICE"));
        Assert.Null(_lockout.RetryAfter(Attacker, "BOB"));

        _clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(TimeSpan.FromMinutes(1), _lockout.RetryAfter(Attacker, "ALICE"));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(_lockout.RetryAfter(Attacker, "ALICE"));
    }

    [Fact]
    public void Failures_further_apart_than_the_lockout_are_forgotten_and_the_right_password_starts_afresh()
    {
        _lockout.RecordFailure(Attacker, "ALICE");
        _lockout.RecordFailure(Attacker, "ALICE");
        _clock.Advance(TimeSpan.FromMinutes(16));
        _lockout.RecordFailure(Attacker, "ALICE");
        _lockout.RecordFailure(Attacker, "ALICE");
        Assert.Null(_lockout.RetryAfter(Attacker, "ALICE"));

        _lockout.Reset(Attacker, "ALICE");
        _lockout.RecordFailure(Attacker, "ALICE");
        _lockout.RecordFailure(Attacker, "ALICE");
        Assert.Null(_lockout.RetryAfter(Attacker, "ALICE"));
        _lockout.RecordFailure(Attacker, "ALICE");
        Assert.NotNull(_lockout.RetryAfter(Attacker, "ALICE"));
    }

    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
