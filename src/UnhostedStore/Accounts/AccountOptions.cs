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
    /// <summary><c>Accounts:Apps</c>: remoteStorage apps the account page offers to open already
    /// pointed at the person's storage (draft-26 §11, storage first), each with <c>Name</c>,
    /// <c>Url</c> (absolute https) and <c>Description</c>. Unset: <see cref="DefaultApps"/>.</summary>
    public List<KnownApp>? Apps { get; set; }

    /// <summary><c>Accounts:ShowApps</c>: false shows no list of apps at all.</summary>
    public bool ShowApps { get; set; } = true;

    /// <summary>Real remoteStorage apps, each with remotestorage.js (which reads the address from
    /// the URL fragment and asks the person before connecting).</summary>
    public static IReadOnlyList<KnownApp> DefaultApps { get; } =
    [
        new() { Name = "Litewrite", Url = "https://litewrite.net", Description = "Write notes and texts, with nothing to distract you." },
        new() { Name = "Webmarks", Url = "https://webmarks.5apps.com", Description = "Keep your bookmarks, on every device." },
        new() { Name = "Sharesome", Url = "https://sharesome.5apps.com", Description = "Share pictures and files with a link." },
        new() { Name = "Inspektor", Url = "https://inspektor.5apps.com", Description = "Look through everything in your storage, folder by folder." },
    ];

    /// <summary>The apps the account page lists.</summary>
    public IReadOnlyList<KnownApp> ListedApps => !ShowApps ? [] : Apps is { Count: > 0 } apps ? apps : DefaultApps;
}

/// <summary>One remoteStorage app on the account page (<c>Accounts:Apps</c>).</summary>
public sealed class KnownApp
{
    public string Name { get; set; } = string.Empty;

    public string Url { get; set; } = string.Empty;

    public string Description { get; set; } = string.Empty;
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
        RuleForEach(o => o.Apps).ChildRules(app =>
        {
            app.RuleFor(a => a.Name).Must(n => !string.IsNullOrWhiteSpace(n) && n.Length <= 60)
                .WithMessage("Accounts:Apps: every app needs a Name of at most 60 characters.");
            app.RuleFor(a => a.Url).Must(IsAppUrl)
                .WithMessage(a => $"Accounts:Apps: the Url of {a.Name} must be an absolute https URL without a #fragment, not '{a.Url}'.");
            app.RuleFor(a => a.Description).MaximumLength(300)
                .WithMessage(a => $"Accounts:Apps: the Description of {a.Name} can be at most 300 characters.");
        });
    }

    /// <summary>https only: the link hands the app the person's address; the fragment is ours to add (draft-26 §11).</summary>
    public static bool IsAppUrl(string? url) =>
        url is { Length: > 0 and <= 2000 }
        && !url.Contains('#', StringComparison.Ordinal)
        && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps
        && !string.IsNullOrEmpty(uri.Host)
        && string.IsNullOrEmpty(uri.UserInfo);
}
