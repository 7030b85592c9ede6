using Microsoft.AspNetCore.Identity;

namespace UnhostedStore.Persistence;

/// <summary>
/// A person with a storage. <see cref="IdentityUser.UserName"/> is the <c>acct:</c> local part,
/// the storage path segment and the token subject; it never changes.
/// </summary>
public sealed class UserAccount : IdentityUser
{
    public bool IsAdmin { get; set; }

    public DateTime CreatedUtc { get; set; }

    /// <summary>When the person last logged in (or confirmed it was them), by any way in.</summary>
    public DateTime? LastLoginUtc { get; set; }

    /// <summary>Set while an admin has disabled the account: no login, no session, and its apps'
    /// grants are set aside until it is enabled again.</summary>
    public DateTime? DisabledUtc { get; set; }
}
