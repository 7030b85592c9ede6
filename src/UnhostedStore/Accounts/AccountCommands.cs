using Microsoft.AspNetCore.Identity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>Account changes shared by the setup page, signup, the admin pages and the CLI.</summary>
public static class AccountCommands
{
    public const string InvalidNameMessage = "A user name is 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.";

    public static async Task<IdentityResult> CreateAsync(UserManager<UserAccount> users, TimeProvider clock, string userName, string? password, bool isAdmin)
    {
        if (!UserName.IsValidAccountName(userName))
        {
            return IdentityResult.Failed(new IdentityError { Code = "InvalidUserName", Description = InvalidNameMessage });
        }

        var account = new UserAccount
        {
            UserName = userName,
            IsAdmin = isAdmin,
            CreatedUtc = clock.GetUtcNow().UtcDateTime,
        };

        // No password: the account cannot log in until one is set (a password-reset link, or
        // the CLI's `users set-password`).
        return password is null ? await users.CreateAsync(account) : await users.CreateAsync(account, password);
    }

    /// <summary>
    /// An admin replaces the password: checked against the password rules before the old one is
    /// removed, so a rejected password leaves the account as it was. Also lifts a lockout from
    /// failed attempts, which is usually why the admin was asked.
    /// </summary>
    public static async Task<IdentityResult> SetPasswordAsync(UserManager<UserAccount> users, UserAccount user, string password)
    {
        var errors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, user, password);
            errors.AddRange(check.Errors);
        }

        if (errors.Count > 0)
        {
            return IdentityResult.Failed([.. errors]);
        }

        if (await users.HasPasswordAsync(user) && await users.RemovePasswordAsync(user) is { Succeeded: false } removed)
        {
            return removed;
        }

        if (await users.AddPasswordAsync(user, password) is { Succeeded: false } added)
        {
            return added;
        }

        return await UnlockAsync(users, user);
    }

    /// <summary>Ends a lockout from failed attempts and starts the count again.</summary>
    public static async Task<IdentityResult> UnlockAsync(UserManager<UserAccount> users, UserAccount user)
    {
        var unlocked = await users.SetLockoutEndDateAsync(user, null);
        return unlocked.Succeeded ? await users.ResetAccessFailedCountAsync(user) : unlocked;
    }

    /// <summary>The messages of a failed result, as one sentence list for a page or the CLI.</summary>
    public static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));
}
