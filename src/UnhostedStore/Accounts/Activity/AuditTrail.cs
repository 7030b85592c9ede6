using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Activity;

/// <summary>
/// Records security events in the audit log (ASVS V7.1, V7.2: who, what, when, from where; no
/// secrets). Every call writes one row in a database context of its own, so that a failure
/// neither leaves anything behind in the caller's context nor reaches the caller: the action
/// already happened, and a missing log row is logged as a warning instead.
/// What callers pass as detail is their own wording around values that are not secrets (an
/// origin, a path, a passkey's name); tokens, passwords and codes are never passed.
/// </summary>
public sealed partial class AuditTrail(IServiceScopeFactory scopes, TimeProvider clock, ILogger<AuditTrail> logger)
{
    /// <summary>How long one write may take before it is given up: a slow database must not hold
    /// up a login.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>An event about <paramref name="user"/>'s account.</summary>
    public Task RecordAsync(AuditKind kind, UserAccount user, AuditActor actor, string? detail = null) =>
        WriteAsync(kind, user.Id, user.UserName, actor, detail);

    /// <summary>An event about the account named <paramref name="userName"/> (its id is looked
    /// up; an account that no longer exists keeps only its name), or about none.</summary>
    public Task RecordAsync(AuditKind kind, string? userName, AuditActor actor, string? detail = null) =>
        WriteAsync(kind, userId: null, userName, actor, detail);

    /// <summary>
    /// A failed login with a name no account has: no account to link, and the name only in the
    /// detail, and only if it could be an account name. People type their password into the
    /// name field by mistake; a password never goes into the log that way, as most passwords are
    /// not a valid name, and what is kept is clipped to a name's length.
    /// </summary>
    public Task RecordUnknownLoginAsync(AuditActor actor, string? attemptedName, string what)
    {
        var name = attemptedName?.Trim().ToLowerInvariant() ?? string.Empty;
        var detail = UnhostedStore.Accounts.UserName.IsValidAccountName(name)
            ? $"{what} Unknown user name “{name}”."
            : $"{what} The user name typed is not a valid one.";
        return WriteAsync(AuditKind.LoginFailed, userId: null, userName: null, actor, detail);
    }

    private async Task WriteAsync(AuditKind kind, string? userId, string? userName, AuditActor actor, string? detail)
    {
        try
        {
            using var timeout = new CancellationTokenSource(WriteTimeout);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
            if (userId is null && userName is not null)
            {
                var normalized = userName.ToUpperInvariant();
                userId = await db.Users.AsNoTracking()
                    .Where(u => u.NormalizedUserName == normalized)
                    .Select(u => u.Id)
                    .FirstOrDefaultAsync(timeout.Token);
            }

            db.AuditEvents.Add(new AuditEvent
            {
                TimeUtc = clock.GetUtcNow().UtcDateTime,
                Kind = kind,
                UserId = userId,
                UserName = Clip(userName, 64),
                Actor = Clip(actor.Name, AuditEvent.MaxActor)!,
                Ip = Clip(actor.Ip, 64),
                UserAgent = Clip(actor.UserAgent, AuditEvent.MaxUserAgent),
                Detail = Clip(detail, AuditEvent.MaxDetail),
            });
            await db.SaveChangesAsync(timeout.Token);
        }
        catch (Exception e)
        {
            LogNotRecorded(logger, AuditKinds.Code(kind), e);
        }
    }

    /// <summary>At most <paramref name="max"/> characters, without control characters (a header
    /// or a name must not forge a line of a log it is copied to).</summary>
    public static string? Clip(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var clean = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (clean.Length == max)
            {
                break;
            }

            clean.Append(char.IsControl(c) ? ' ' : c);
        }

        // A surrogate pair cut in half is not text.
        if (clean.Length > 0 && char.IsHighSurrogate(clean[^1]))
        {
            clean.Length--;
        }

        return clean.ToString();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit event {Kind} could not be recorded")]
    private static partial void LogNotRecorded(ILogger logger, string kind, Exception exception);
}
