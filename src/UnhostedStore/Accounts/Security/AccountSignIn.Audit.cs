using Microsoft.AspNetCore.Identity;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>The sign-in manager's part of the audit log: logins and refusals recorded, whichever
/// page asked, never with what was typed.</summary>
public sealed partial class AccountSignIn
{
    /// <summary>Identity's lookup by name, with the attempt on a name no account has recorded
    /// (by the name only, and only if it could be one).</summary>
    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        if (await UserManager.FindByNameAsync(userName) is not { } user)
        {
            await audit.RecordUnknownLoginAsync(AuditActor.Anonymous(Context), userName, "Password login.");
            return SignInResult.Failed;
        }

        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
    }

    /// <summary>After the right password: logged in (recorded), or on to the second step.</summary>
    protected override async Task<SignInResult> SignInOrTwoFactorAsync(UserAccount user, bool isPersistent, string? loginProvider = null, bool bypassTwoFactor = false)
    {
        var result = await base.SignInOrTwoFactorAsync(user, isPersistent, loginProvider, bypassTwoFactor);
        if (result.Succeeded)
        {
            await audit.RecordAsync(AuditKind.LoginOk, user, AuditActor.Person(Context, user.UserName!), "With the password.");
        }

        return result;
    }

    public override async Task<SignInResult> TwoFactorAuthenticatorSignInAsync(string code, bool isPersistent, bool rememberClient)
    {
        var user = await GetTwoFactorAuthenticationUserAsync();
        var result = await base.TwoFactorAuthenticatorSignInAsync(code, isPersistent, rememberClient);
        if (user is null)
        {
            return result;
        }

        if (result.Succeeded)
        {
            await audit.RecordAsync(AuditKind.LoginOk, user, AuditActor.Person(Context, user.UserName!), "With the password and a code from the authenticator app.");
        }
        else
        {
            await audit.RecordAsync(AuditKind.LoginTwoFactorFailed, user, AuditActor.Anonymous(Context), result.IsLockedOut
                ? "Wrong authenticator code; the account is locked for a while."
                : "Wrong authenticator code.");
        }

        return result;
    }

    /// <summary>A refused login: <paramref name="what"/> names the way in ("A passkey"); a
    /// locked account is refused without its password or passkey being looked at.</summary>
    private Task RecordRefusedAsync(UserAccount user, SignInResult result, string what) =>
        audit.RecordAsync(AuditKind.LoginFailed, user, AuditActor.Anonymous(Context), result switch
        {
            { IsLockedOut: true } => what + " was refused: the account is locked for a while after too many failed attempts.",
            { IsNotAllowed: true } => what + " was refused: the account may not log in.",
            _ => what == PasswordWord ? "Wrong password." : what + " that was not accepted.",
        });

    private const string PasswordWord = "The password";

    private static string? PasskeyName(string? name) => name is null ? null : $"Passkey “{name}”.";

    private static string Left(int count) => count == 1 ? "1 code left." : $"{count} codes left.";
}
