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
}
