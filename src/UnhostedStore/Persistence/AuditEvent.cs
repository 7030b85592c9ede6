using System.Collections.Frozen;

namespace UnhostedStore.Persistence;

/// <summary>
/// The closed set of things the audit log records. Stored as the dotted code of
/// <see cref="AuditKinds"/> (<c>login.failed</c>), which the CLI and filters use too; a new
/// member needs a code there and plain words where the pages describe events.
/// </summary>
public enum AuditKind
{
    LoginOk,
    LoginFailed,
    LoginPasskey,
    LoginTwoFactorFailed,
    RecoveryCodeUsed,
    PasskeyAdded,
    PasskeyRemoved,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesGenerated,
    PasswordChanged,
    PasswordRemoved,
    GrantCreated,
    GrantRevoked,
    AccountCreated,
    AccountDeletionRequested,
    AccountDeletionCancelled,
    AccountDeleted,
    HistoryRestored,
    HistoryPurged,
    ShareCreated,
    ShareRevoked,
    ExportStarted,
    ImportStarted,
    MoveInStarted,
    AdminUserCreated,
    AdminPasswordSet,
    AdminQuotaSet,
    AdminInviteCreated,
    AdminSettingChanged,
    AppPasswordCreated,
    AppPasswordRevoked,
    AdminUserDisabled,
    AdminUserEnabled,
    AdminRightsGranted,
    AdminRightsRemoved,
    AdminResetLinkCreated,
    AdminTwoFactorReset,
    AdminInviteRevoked,
}

/// <summary>The stored codes of <see cref="AuditKind"/>: stable text, never renamed, since old
/// rows keep theirs.</summary>
public static class AuditKinds
{
    private static readonly FrozenDictionary<AuditKind, string> Codes = new Dictionary<AuditKind, string>
    {
        [AuditKind.LoginOk] = "login.ok",
        [AuditKind.LoginFailed] = "login.failed",
        [AuditKind.LoginPasskey] = "login.passkey",
        [AuditKind.LoginTwoFactorFailed] = "login.2fa_failed",
        [AuditKind.RecoveryCodeUsed] = "recovery_code.used",
        [AuditKind.PasskeyAdded] = "passkey.added",
        [AuditKind.PasskeyRemoved] = "passkey.removed",
        [AuditKind.TwoFactorEnabled] = "2fa.enabled",
        [AuditKind.TwoFactorDisabled] = "2fa.disabled",
        [AuditKind.RecoveryCodesGenerated] = "recovery_codes.generated",
        [AuditKind.PasswordChanged] = "password.changed",
        [AuditKind.PasswordRemoved] = "password.removed",
        [AuditKind.GrantCreated] = "grant.created",
        [AuditKind.GrantRevoked] = "grant.revoked",
        [AuditKind.AccountCreated] = "account.created",
        [AuditKind.AccountDeletionRequested] = "account.deletion_requested",
        [AuditKind.AccountDeletionCancelled] = "account.deletion_cancelled",
        [AuditKind.AccountDeleted] = "account.deleted",
        [AuditKind.HistoryRestored] = "history.restored",
        [AuditKind.HistoryPurged] = "history.purged",
        [AuditKind.ShareCreated] = "share.created",
        [AuditKind.ShareRevoked] = "share.revoked",
        [AuditKind.ExportStarted] = "export.started",
        [AuditKind.ImportStarted] = "import.started",
        [AuditKind.MoveInStarted] = "move_in.started",
        [AuditKind.AdminUserCreated] = "admin.user_created",
        [AuditKind.AdminPasswordSet] = "admin.password_set",
        [AuditKind.AdminQuotaSet] = "admin.quota_set",
        [AuditKind.AdminInviteCreated] = "admin.invite_created",
        [AuditKind.AdminSettingChanged] = "admin.setting_changed",
        [AuditKind.AppPasswordCreated] = "app_password.created",
        [AuditKind.AppPasswordRevoked] = "app_password.revoked",
        [AuditKind.AdminUserDisabled] = "admin.user_disabled",
        [AuditKind.AdminUserEnabled] = "admin.user_enabled",
        [AuditKind.AdminRightsGranted] = "admin.rights_granted",
        [AuditKind.AdminRightsRemoved] = "admin.rights_removed",
        [AuditKind.AdminResetLinkCreated] = "admin.reset_link_created",
        [AuditKind.AdminTwoFactorReset] = "admin.2fa_reset",
        [AuditKind.AdminInviteRevoked] = "admin.invite_revoked",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, AuditKind> Kinds =
        Codes.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The longest code, with room to spare: the column's width.</summary>
    public const int MaxCodeLength = 40;

    public static IReadOnlyList<AuditKind> All { get; } = Enum.GetValues<AuditKind>();

    public static string Code(AuditKind kind) => Codes[kind];

    public static bool TryParse(string? code, out AuditKind kind) => Kinds.TryGetValue(code ?? string.Empty, out kind);

    /// <summary>For rows read back: an unknown code (written by a newer version) is an error in
    /// the data, not something to guess at.</summary>
    public static AuditKind Parse(string code) =>
        TryParse(code, out var kind) ? kind : throw new InvalidOperationException($"Unknown audit event kind '{code}'.");
}

/// <summary>
/// One entry of the audit log: who did what to which account, when and from where. Rows are
/// only ever added (and deleted after <c>Accounts:AuditRetentionDays</c>); they name the account
/// by its Identity id and its name as plain columns, not as a foreign key, so that the record of
/// an account's deletion outlives the account.
/// </summary>
public sealed class AuditEvent
{
    public const int MaxUserAgent = 256;

    public const int MaxDetail = 256;

    public const int MaxActor = 80;

    public long Id { get; set; }

    public DateTime TimeUtc { get; set; }

    public AuditKind Kind { get; set; }

    /// <summary>The account the event is about (its Identity id), or null (a failed login of an
    /// unknown name, a server-wide setting).</summary>
    public string? UserId { get; set; }

    /// <summary>That account's name when the event was recorded.</summary>
    public string? UserName { get; set; }

    /// <summary>Who did it: the account's own name, <c>admin:&lt;name&gt;</c>, <c>cli</c>,
    /// <c>system</c> (a background job) or <c>anonymous</c> (nobody logged in).</summary>
    public required string Actor { get; set; }

    /// <summary>The client's address as the server saw it (after trusted proxies), or null
    /// outside a request.</summary>
    public string? Ip { get; set; }

    public string? UserAgent { get; set; }

    /// <summary>A short description of what was affected (an app's origin, a path, a passkey's
    /// name); never a secret.</summary>
    public string? Detail { get; set; }
}
