using System.Globalization;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Activity;

/// <summary>A group of kinds the pages and the CLI filter by (<c>login</c>, <c>apps</c>, …).</summary>
public sealed record AuditCategory(string Code, string Label, IReadOnlyList<AuditKind> Kinds);

/// <summary>How events read to people: a sentence per kind, the categories, who did it, and
/// when, in words.</summary>
public static class AuditWords
{
    public static IReadOnlyList<AuditCategory> Categories { get; } =
    [
        new("login", "Sign-ins", [AuditKind.LoginOk, AuditKind.LoginPasskey, AuditKind.RecoveryCodeUsed, AuditKind.LoginFailed, AuditKind.LoginTwoFactorFailed]),
        new("security", "Passkeys, two-step verification and password", [AuditKind.PasskeyAdded, AuditKind.PasskeyRemoved, AuditKind.TwoFactorEnabled, AuditKind.TwoFactorDisabled, AuditKind.RecoveryCodesGenerated, AuditKind.PasswordChanged, AuditKind.PasswordRemoved]),
        new("apps", "Apps", [AuditKind.GrantCreated, AuditKind.GrantRevoked, AuditKind.AppPasswordCreated, AuditKind.AppPasswordRevoked]),
        new("sharing", "Share links", [AuditKind.ShareCreated, AuditKind.ShareRevoked]),
        new("history", "History and trash", [AuditKind.HistoryRestored, AuditKind.HistoryPurged]),
        new("data", "Export, import and move-in", [AuditKind.ExportStarted, AuditKind.ImportStarted, AuditKind.MoveInStarted]),
        new("account", "The account", [AuditKind.AccountCreated, AuditKind.AccountDeletionRequested, AuditKind.AccountDeletionCancelled, AuditKind.AccountDeleted]),
        new("admin", "Administration",
        [
            AuditKind.AdminUserCreated, AuditKind.AdminUserDisabled, AuditKind.AdminUserEnabled, AuditKind.AdminRightsGranted, AuditKind.AdminRightsRemoved,
            AuditKind.AdminPasswordSet, AuditKind.AdminResetLinkCreated, AuditKind.AdminTwoFactorReset, AuditKind.AdminQuotaSet,
            AuditKind.AdminInviteCreated, AuditKind.AdminInviteRevoked, AuditKind.AdminSettingChanged,
        ]),
    ];

    /// <summary>The kinds a filter names: a category's code or one kind's code; null when it
    /// names none (an unknown word).</summary>
    public static IReadOnlyList<AuditKind>? KindsFor(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return null;
        }

        var text = filter.Trim();
        if (Categories.FirstOrDefault(c => c.Code == text) is { } category)
        {
            return category.Kinds;
        }

        return AuditKinds.TryParse(text, out var kind) ? [kind] : null;
    }

    public static string Describe(AuditKind kind) => kind switch
    {
        AuditKind.LoginOk => "Signed in",
        AuditKind.LoginPasskey => "Signed in with a passkey",
        AuditKind.RecoveryCodeUsed => "Signed in with a recovery code",
        AuditKind.LoginFailed => "Failed sign-in",
        AuditKind.LoginTwoFactorFailed => "Wrong code at the second step of a sign-in",
        AuditKind.PasskeyAdded => "Passkey added",
        AuditKind.PasskeyRemoved => "Passkey removed",
        AuditKind.TwoFactorEnabled => "Two-step verification turned on",
        AuditKind.TwoFactorDisabled => "Two-step verification turned off",
        AuditKind.RecoveryCodesGenerated => "New recovery codes made",
        AuditKind.PasswordChanged => "Password changed",
        AuditKind.PasswordRemoved => "Password removed",
        AuditKind.GrantCreated => "App given access",
        AuditKind.GrantRevoked => "App access revoked",
        AuditKind.AppPasswordCreated => "App password created",
        AuditKind.AppPasswordRevoked => "App password revoked",
        AuditKind.AccountCreated => "Account created",
        AuditKind.AccountDeletionRequested => "Account deletion requested",
        AuditKind.AccountDeletionCancelled => "Account deletion cancelled",
        AuditKind.AccountDeleted => "Account erased",
        AuditKind.HistoryRestored => "Restored from history",
        AuditKind.HistoryPurged => "Deleted from history for good",
        AuditKind.ShareCreated => "Share link created",
        AuditKind.ShareRevoked => "Share link revoked",
        AuditKind.ExportStarted => "Export downloaded",
        AuditKind.ImportStarted => "Import started",
        AuditKind.MoveInStarted => "Move-in from another server started",
        AuditKind.AdminUserCreated => "Account created by the administrator",
        AuditKind.AdminPasswordSet => "Password replaced by the administrator",
        AuditKind.AdminQuotaSet => "Storage quota changed",
        AuditKind.AdminInviteCreated => "Invite link made",
        AuditKind.AdminSettingChanged => "Server setting changed",
        AuditKind.AdminUserDisabled => "Account disabled by the administrator",
        AuditKind.AdminUserEnabled => "Account enabled again by the administrator",
        AuditKind.AdminRightsGranted => "Made an administrator",
        AuditKind.AdminRightsRemoved => "Administrator rights removed",
        AuditKind.AdminResetLinkCreated => "Password-reset link made by the administrator",
        AuditKind.AdminTwoFactorReset => "Two-step verification reset by the administrator",
        AuditKind.AdminInviteRevoked => "Invite link withdrawn",
        _ => AuditKinds.Code(kind),
    };

    /// <summary>Refused attempts: shown so that they stand out.</summary>
    public static bool IsFailure(AuditKind kind) => kind is AuditKind.LoginFailed or AuditKind.LoginTwoFactorFailed;

    /// <summary>Who did it, for a reader who is <paramref name="viewer"/> (their own actions read
    /// "You"), or for an administrator when <paramref name="viewer"/> is null.</summary>
    public static string Actor(string actor, string? viewer) => actor switch
    {
        AuditActor.CommandLineName => "The server's operator (command line)",
        AuditActor.SystemName => "The server",
        AuditActor.AnonymousName => "Someone not signed in",
        _ when AuditActor.AdminName(actor) is { } admin => viewer is not null && admin == viewer ? "You, as administrator" : $"Administrator {admin}",
        _ when viewer is not null && actor == viewer => "You",
        _ => actor,
    };

    /// <summary>"just now", "5 minutes ago", "3 days ago", … up to years.</summary>
    public static string Ago(DateTime then, DateTime now)
    {
        var span = now - then;
        // A clock a little ahead on another instance: "just now" too.
        if (span < TimeSpan.FromMinutes(1))
        {
            return "just now";
        }

        return span switch
        {
            { TotalHours: < 1 } => Count((int)span.TotalMinutes, "minute"),
            { TotalDays: < 1 } => Count((int)span.TotalHours, "hour"),
            { TotalDays: < 2 } => "yesterday",
            { TotalDays: < 31 } => Count((int)span.TotalDays, "day"),
            { TotalDays: < 365 } => Count(Math.Max(1, (int)(span.TotalDays / 30.44)), "month"),
            _ => Count((int)(span.TotalDays / 365.25), "year"),
        };

        static string Count(int n, string unit) =>
            n.ToString(CultureInfo.InvariantCulture) + " " + unit + (n == 1 ? string.Empty : "s") + " ago";
    }

    /// <summary>The exact time, unambiguous and the same everywhere.</summary>
    public static string Exact(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("d MMM yyyy, HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Iso(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
