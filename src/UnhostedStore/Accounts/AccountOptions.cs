using FluentValidation;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

public enum SignupPolicy
{
    /// <summary>Only an admin (CLI or account pages) creates accounts.</summary>
    Closed,

    /// <summary>Anyone with an invite link may create one account.</summary>
    Invite,

    /// <summary>Anyone may sign up.</summary>
    Open,
}

/// <summary>Configuration section <c>Accounts</c>.</summary>
public sealed class AccountOptions
{
    public const string Section = "Accounts";

    /// <summary><c>Accounts:Signup</c>: <c>Closed</c> (default), <c>Invite</c> or <c>Open</c>.</summary>
    public SignupPolicy Signup { get; set; } = SignupPolicy.Closed;

    /// <summary><c>Accounts:LockoutAttempts</c>: failed logins before the account is locked.</summary>
    public int LockoutAttempts { get; set; } = 5;

    /// <summary><c>Accounts:LockoutMinutes</c>: how long a lockout lasts.</summary>
    public int LockoutMinutes { get; set; } = 15;

    /// <summary><c>Accounts:HideUnknownUsers</c>: WebFinger answers for unknown users exactly as
    /// for known ones, so account names can't be enumerated.</summary>
    public bool HideUnknownUsers { get; set; }

    /// <summary><c>Accounts:DefaultGrantDays</c>: the access duration preselected on the consent
    /// page: 1, 30, 90, or 0 for "until revoked".</summary>
    public int DefaultGrantDays { get; set; } = 30;

    /// <summary><c>Accounts:DeletionGraceDays</c>: how long a deleted account stays disabled,
    /// and can be brought back, before it is erased; 0 erases it at once.</summary>
    public int DeletionGraceDays { get; set; } = 7;

    /// <summary><c>Accounts:RequireTwoFactor</c>: whether every account must have a second factor
    /// (an authenticator app or a passkey). Only the value until an admin changes it: the setting
    /// lives in the database (<see cref="LoginPolicy"/>), where every instance reads it.</summary>
    public bool RequireTwoFactor { get; set; }

    /// <summary><c>Accounts:AuditRetentionDays</c>: how long the audit log keeps an event
    /// (sign-ins, security changes, apps, deletions) before the retention job deletes it.</summary>
    public int AuditRetentionDays { get; set; } = 180;
}

public sealed class AccountOptionsValidator : AbstractValidator<AccountOptions>
{
    public AccountOptionsValidator()
    {
        RuleFor(o => o.LockoutAttempts).InclusiveBetween(1, 1000).WithName("Accounts:LockoutAttempts");
        RuleFor(o => o.LockoutMinutes).InclusiveBetween(1, 24 * 60).WithName("Accounts:LockoutMinutes");
        RuleFor(o => o.DefaultGrantDays).Must(d => d is 0 or 1 or 30 or 90).WithMessage("Accounts:DefaultGrantDays must be 1, 30, 90 or 0 (until revoked).");
        RuleFor(o => o.DeletionGraceDays).InclusiveBetween(0, 365).WithName("Accounts:DeletionGraceDays");
        RuleFor(o => o.AuditRetentionDays).InclusiveBetween(1, 3650).WithName("Accounts:AuditRetentionDays");
    }
}
