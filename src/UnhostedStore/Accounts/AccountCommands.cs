using Microsoft.AspNetCore.Identity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>Account creation shared by the setup page, signup and the CLI.</summary>
public static class AccountCommands
{
    public static async Task<IdentityResult> CreateAsync(UserManager<UserAccount> users, TimeProvider clock, string userName, string? password, bool isAdmin)
    {
        if (!UserName.IsValidAccountName(userName))
        {
            return IdentityResult.Failed(new IdentityError
            {
                Code = "InvalidUserName",
                Description = "A user name is 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.",
            });
        }

        var account = new UserAccount
        {
            UserName = userName,
            IsAdmin = isAdmin,
            CreatedUtc = clock.GetUtcNow().UtcDateTime,
        };

        // No password: the account cannot log in until one is set (CLI `users set-password`).
        return password is null ? await users.CreateAsync(account) : await users.CreateAsync(account, password);
    }
}
