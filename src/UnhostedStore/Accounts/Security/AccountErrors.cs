using Microsoft.AspNetCore.Identity;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// Identity's messages in the words the pages and the command line show. ASVS V2.1.1 and
/// V2.1.9: a password needs at least 10 characters and nothing else (no composition rules), the
/// same on sign-up, password change, setup and <c>users set-password</c>, which all go through
/// Identity's password validator.
/// </summary>
public sealed class AccountErrors : IdentityErrorDescriber
{
    public const int MinPasswordLength = 10;

    public override IdentityError PasswordTooShort(int length) => new()
    {
        Code = nameof(PasswordTooShort),
        Description = $"Choose a longer password: it needs at least {length} characters. A few unrelated words make a good one.",
    };
}
