using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Security;

namespace UnhostedStore.Pages.Text;

/// <summary>
/// Identity's answers (<see cref="IdentityError"/>) in the language of the page. The accounts
/// code words them in English for the command line (<see cref="AccountErrors"/>,
/// <c>AccountCommands</c>); the pages know them by their codes. A code without words of its own
/// keeps Identity's English description.
/// </summary>
public static class IdentityWords
{
    private static readonly IStringLocalizer Text = Words.Of<AccountText>();

    public static string Describe(IdentityError error) => error.Code switch
    {
        nameof(IdentityErrorDescriber.PasswordTooShort) => Text["Identity_PasswordTooShort", AccountErrors.MinPasswordLength],
        nameof(IdentityErrorDescriber.InvalidUserName) => Text["Identity_InvalidUserName"],
        nameof(IdentityErrorDescriber.DuplicateUserName) => Text["Identity_DuplicateUserName"],
        nameof(IdentityErrorDescriber.PasswordMismatch) => Text["Identity_PasswordMismatch"],
        _ => error.Description,
    };

    /// <summary>All of a result's errors, as one text.</summary>
    public static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(Describe));
}
