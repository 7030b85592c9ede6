using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Pages.Text;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// Words of the admin pages that records and helpers need too: the states of an account, the
/// sign-up policies and scopes, in the page's language. The accounts code has the same in English
/// for the command line (<see cref="AccountStates.Describe"/>, <see cref="SignupSettings.Describe"/>).
/// </summary>
public static class AdminWords
{
    public static IStringLocalizer Text => Words.Of<AdminText>();

    public static string State(AccountState state) => Text["State_" + state];

    public static string Signup(SignupPolicy policy) => Text["Signup_" + policy];

    public static string Scope(Scope scope) =>
        scope.IsRoot
            ? Text[scope.CanWrite ? "Scope_EverythingReadWrite" : "Scope_EverythingReadOnly"]
            : Text[scope.CanWrite ? "Scope_ReadWrite" : "Scope_ReadOnly", scope.Module];

    /// <summary>A time as the admin pages show it, or <paramref name="none"/>.</summary>
    public static string When(DateTime? utc, string none) => Words.When(utc, none);
}
