using System.Globalization;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Activity;

/// <summary>Details the pages and the CLI both write, so that an event reads the same whoever
/// caused it.</summary>
public static class AuditDetails
{
    /// <summary>A new share link: its id and path, how long, whether a password protects it;
    /// never its URL (it holds the token) nor the password.</summary>
    public static string ShareCreated(ShareLink link, string where) =>
        $"Link {link.Id} to {link.Path}, {(link.ExpiresUtc is { } e ? "until " + e.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "until revoked")}"
        + $"{(link.PasswordHash is null ? string.Empty : ", with a password")}, {where}.";

    /// <summary>A revoked share link, by id: what was typed to revoke it may be its URL.</summary>
    public static string ShareRevoked(ShareLink link, string where) => $"Link {link.Id} to {link.Path}, {where}.";
}
