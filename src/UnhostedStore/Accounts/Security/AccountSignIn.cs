using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// Identity's sign-in manager with what every login here adds: the <c>auth_time</c> claim
/// (<see cref="RecentLogin"/>), the enrolment mark when the server requires a second factor
/// (<see cref="LoginPolicy"/>), a fresh antiforgery cookie, and persistent passkey and
/// recovery-code logins. Every way in (password, password and code, passkey, recovery code,
/// sign-up, re-authentication) ends in <see cref="SignInWithClaimsAsync(UserAccount, AuthenticationProperties, IEnumerable{Claim})"/>.
/// Every login and every refused password, code or passkey is recorded in the audit log here
/// (<see cref="AuditTrail"/>), whichever page asked, never with what was typed.
/// The sign-in also records the time of the login (<see cref="UserAccount.LastLoginUtc"/>). An account
/// an admin disabled (<see cref="UserAccount.DisabledUtc"/>) logs in no way at all.
/// </summary>
public sealed partial class AccountSignIn(
    UserManager<UserAccount> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<UserAccount> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<UserAccount>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<UserAccount> confirmation,
    TimeProvider clock,
    LoginPolicy policy,
    IOptions<AntiforgeryOptions> antiforgery,
    AuditTrail audit,
    StorageDbContext db,
    LoginLockout lockout)
    : SignInManager<UserAccount>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public const string PasswordMethod = "pwd";
    public const string MultiFactorMethod = "mfa";
    public const string PasskeyMethod = "hwk";
    public const string RecoveryCodeMethod = "otp";

    /// <summary>Far more than any real credential (an attestation object with a certificate
    /// chain is a few kilobytes).</summary>
    private const int MaxCredentialJson = 64 * 1024;

    /// <summary>A hash of a random password, made by the server's own hasher (same algorithm and
    /// work factor as every account's), checked when a login names no account with a password.</summary>
    private static string? _decoyHash;

    /// <summary>Set while a session is renewed (not a new login): its auth_time stays.</summary>
    private string? _carriedAuthTime;

    private System.Net.IPAddress ClientIp => Context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;

    /// <summary>How long this client must wait before trying <paramref name="name"/> again
    /// (<see cref="LoginLockout"/>), or null.</summary>
    public TimeSpan? LockedFor(string name) => lockout.RetryAfter(ClientIp, UserManager.NormalizeName(name));

    /// <summary>Counts a wrong password or recovery code for <paramref name="name"/> from this client.</summary>
    public void RecordFailure(string name) => lockout.RecordFailure(ClientIp, UserManager.NormalizeName(name));

    /// <summary>
    /// The password step of a login. ASVS V2.2.1: the lockout is per client IP and name, never
    /// Identity's per-account one, so wrong passwords from one network never lock out another.
    /// No enumeration of accounts: an unknown name, and an account without a password,
    /// cost one password hash as a real check does, and both count toward the lockout as a wrong
    /// password would; only the right password says anything about the account (for instance
    /// that it is locked by wrong second-factor codes).
    /// </summary>
    public async Task<PasswordCheck> CheckLoginPasswordAsync(string name, string password)
    {
        if (LockedFor(name) is { } wait)
        {
            return new PasswordCheck(null, wait);
        }

        var user = await UserManager.FindByNameAsync(name);
        var right = false;
        if (user is not null && await UserManager.HasPasswordAsync(user))
        {
            right = await UserManager.CheckPasswordAsync(user, password);
        }
        else
        {
            var hasher = UserManager.PasswordHasher;
            _decoyHash ??= hasher.HashPassword(new UserAccount(), Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
            hasher.VerifyHashedPassword(new UserAccount(), _decoyHash, password);
        }

        if (!right)
        {
            RecordFailure(name);
            if (user is null)
            {
                await audit.RecordUnknownLoginAsync(AuditActor.Anonymous(Context), name, "Password login.");
            }
            else
            {
                await RecordRefusedAsync(user, SignInResult.Failed, PasswordWord);
            }

            return new PasswordCheck(null, null);
        }

        lockout.Reset(ClientIp, UserManager.NormalizeName(name));
        return new PasswordCheck(user, null);
    }

    /// <summary>After the right password (<see cref="CheckLoginPasswordAsync"/>): an account locked
    /// by wrong second-factor codes is refused; one with a second factor goes on to it.</summary>
    public async Task<SignInResult> SignInAfterPasswordAsync(UserAccount user) =>
        await PreSignInCheck(user) ?? await SignInOrTwoFactorAsync(user, isPersistent: true);

    /// <summary>
    /// Every other password check (re-authentication, confirmations): the lockout per client IP
    /// and account as at login, never Identity's per-account lockout, whatever the caller asks.
    /// </summary>
    public override async Task<SignInResult> CheckPasswordSignInAsync(UserAccount user, string password, bool lockoutOnFailure)
    {
        var name = user.UserName ?? string.Empty;
        var result = LockedFor(name) is not null
            ? SignInResult.LockedOut
            : await CheckUnlessDisabledAsync(user, password, lockoutOnFailure: false);
        if (result.Succeeded)
        {
            lockout.Reset(ClientIp, UserManager.NormalizeName(name));
            return result;
        }

        if (!result.IsLockedOut && !result.IsNotAllowed)
        {
            RecordFailure(name);
        }

        // Every refusal is recorded; a right password is recorded once the login is complete.
        await RecordRefusedAsync(user, result, PasswordWord);
        return result;
    }

    public override async Task SignInWithClaimsAsync(UserAccount user, AuthenticationProperties? authenticationProperties, IEnumerable<Claim> additionalClaims)
    {
        var claims = additionalClaims.Where(c => c.Type is not (RecentLogin.AuthTimeClaim or RecentLogin.MustEnrolClaim)).ToList();
        var renewal = _carriedAuthTime is not null;
        claims.Add(new Claim(RecentLogin.AuthTimeClaim, _carriedAuthTime ?? RecentLogin.Format(clock.GetUtcNow()), ClaimValueTypes.Integer64));

        // Only a password (or an account just created) is one factor; a passkey with user
        // verification is two already (something you have, unlocked by something you know or are).
        var method = claims.FirstOrDefault(c => c.Type == RecentLogin.MethodClaim)?.Value;
        if (method is null or PasswordMethod && await policy.MustEnrolAsync(user, Context.RequestAborted))
        {
            claims.Add(new Claim(RecentLogin.MustEnrolClaim, "1"));
        }

        await base.SignInWithClaimsAsync(user, authenticationProperties, claims);
        if (!renewal)
        {
            await RecordLoginAsync(user);

            // ASVS V3.2.1: a login starts a new session. The cookie above is new; the antiforgery
            // cookie token is too, at the next page (it redirects).
            Context.Response.Cookies.Delete(antiforgery.Value.Cookie.Name!, new CookieOptions { Path = antiforgery.Value.Cookie.Path ?? "/" });
        }
    }

    /// <summary>A disabled account is never signed in: every way in (passkey, recovery code,
    /// second factor) asks this first.</summary>
    public override async Task<bool> CanSignInAsync(UserAccount user) =>
        user.DisabledUtc is null && await base.CanSignInAsync(user);

    /// <summary>
    /// The password is checked before anything tells that the account is disabled, and a wrong
    /// one counts toward the lockout as always: only someone who knows the password learns it
    /// (<see cref="SignInResult.NotAllowed"/>), everyone else gets the usual failure.
    /// </summary>
    private async Task<SignInResult> CheckUnlessDisabledAsync(UserAccount user, string password, bool lockoutOnFailure)
    {
        if (user.DisabledUtc is null)
        {
            return await base.CheckPasswordSignInAsync(user, password, lockoutOnFailure);
        }

        if (await UserManager.IsLockedOutAsync(user))
        {
            return SignInResult.LockedOut;
        }

        if (await UserManager.CheckPasswordAsync(user, password))
        {
            return SignInResult.NotAllowed;
        }

        if (lockoutOnFailure)
        {
            await UserManager.AccessFailedAsync(user);
        }

        return SignInResult.Failed;
    }

    /// <summary>Renews the cookie after a change of the account (the security stamp changed, or
    /// a second factor was added): the time of the login stays what it was.</summary>
    public override async Task RefreshSignInAsync(UserAccount user)
    {
        _carriedAuthTime = Context.User.FindFirstValue(RecentLogin.AuthTimeClaim) ?? "0";
        try
        {
            await base.RefreshSignInAsync(user);
        }
        finally
        {
            _carriedAuthTime = null;
        }
    }

    /// <summary>One statement of its own, not a save of the whole account: it neither changes the
    /// concurrency stamp nor fails on it, so a login never collides with another change.</summary>
    private async Task RecordLoginAsync(UserAccount user)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        user.LastLoginUtc = now;
        await db.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastLoginUtc, now), Context.RequestAborted);
    }

    /// <summary>After the right password at <c>/account/reauth</c> (or a passkey): the same
    /// session, proven again now.</summary>
    public async Task ReauthenticatedAsync(UserAccount user)
    {
        var current = await Context.AuthenticateAsync(AuthenticationScheme);
        var method = Context.User.FindFirst(RecentLogin.MethodClaim);
        await SignInWithClaimsAsync(user, current.Properties ?? new AuthenticationProperties { IsPersistent = true }, method is null ? [] : [new Claim(method.Type, method.Value)]);
    }

    /// <summary>A passkey's answer (<c>navigator.credentials.get</c> as JSON) checked against the
    /// challenge this browser was given (WebAuthn §7.2); null when no ceremony is underway (the
    /// challenge expired or was used) or the JSON is unusable.</summary>
    public async Task<PasskeyAssertionResult<UserAccount>?> VerifyPasskeyAsync(string? credentialJson)
    {
        if (string.IsNullOrEmpty(credentialJson) || credentialJson.Length > MaxCredentialJson)
        {
            return null;
        }

        PasskeyAssertionResult<UserAccount>? result;
        try
        {
            result = await PerformPasskeyAssertionAsync(credentialJson);
        }
        catch (InvalidOperationException)
        {
            result = null;
        }

        if (result is not { Succeeded: true })
        {
            // No account to name: an unknown or made-up credential says nothing about one.
            await audit.RecordAsync(AuditKind.LoginFailed, (string?)null, AuditActor.Anonymous(Context), "A passkey that was not accepted.");
        }

        return result;
    }

    /// <summary>A new passkey (<c>navigator.credentials.create</c> as JSON) checked against the
    /// challenge and user this browser was given (WebAuthn §7.1); null as above.</summary>
    public async Task<PasskeyAttestationResult?> VerifyNewPasskeyAsync(string? credentialJson)
    {
        if (string.IsNullOrEmpty(credentialJson) || credentialJson.Length > MaxCredentialJson)
        {
            return null;
        }

        try
        {
            return await PerformPasskeyAttestationAsync(credentialJson);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The rest of a passkey login once the assertion is verified: lockout and sign-in
    /// checks as for a password, then a persistent session. No second factor follows.</summary>
    public async Task<SignInResult> PasskeySignInAsync(PasskeyAssertionResult<UserAccount> assertion)
    {
        if (!assertion.Succeeded)
        {
            return SignInResult.Failed;
        }

        if (await PreSignInCheck(assertion.User) is { } refused)
        {
            await RecordRefusedAsync(assertion.User, refused, "A passkey");
            return refused;
        }

        // The new signature counter and flags (WebAuthn §7.2 steps 21–22).
        await UserManager.AddOrUpdatePasskeyAsync(assertion.User, assertion.Passkey);
        await PasskeyUses.RecordAsync(UserManager, assertion.User, assertion.Passkey.CredentialId, clock);
        await SignInWithClaimsAsync(assertion.User, isPersistent: true, [new Claim(RecentLogin.MethodClaim, PasskeyMethod)]);
        await audit.RecordAsync(AuditKind.LoginPasskey, assertion.User, AuditActor.Person(Context, assertion.User.UserName!), PasskeyName(assertion.Passkey.Name));
        return SignInResult.Success;
    }

    /// <summary>A password that was checked elsewhere (the cancel-deletion step): on to the
    /// second factor if the account has one, as a password login would be.</summary>
    public Task<SignInResult> PasswordCheckedSignInAsync(UserAccount user) => SignInAfterPasswordAsync(user);

    /// <summary>
    /// A recovery code instead of the authenticator code (after the password), or, for an account
    /// without a password, instead of its passkey. After the password, wrong codes count toward
    /// the account's own lockout, like wrong authenticator codes (Identity does not count them):
    /// only someone who knows the password gets there. A code alone counts per client IP and
    /// name, as a password does (the page records it, also for names of no account).
    /// </summary>
    public async Task<SignInResult> RecoveryCodeSignInAsync(UserAccount user, string code, bool afterPassword)
    {
        if (await PreSignInCheck(user) is { } refused)
        {
            await RecordRefusedAsync(user, refused, "A recovery code");
            return refused;
        }

        if (!(await UserManager.RedeemTwoFactorRecoveryCodeAsync(user, code)).Succeeded)
        {
            if (!afterPassword)
            {
                return SignInResult.Failed;
            }

            await UserManager.AccessFailedAsync(user);
            var locked = await UserManager.IsLockedOutAsync(user);
            await audit.RecordAsync(AuditKind.LoginTwoFactorFailed, user, AuditActor.Anonymous(Context), locked ? "Wrong recovery code; the account is now locked for a while." : "Wrong recovery code.");
            return locked ? SignInResult.LockedOut : SignInResult.Failed;
        }

        await UserManager.ResetAccessFailedCountAsync(user);
        await Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        var method = afterPassword ? MultiFactorMethod : RecoveryCodeMethod;
        await SignInWithClaimsAsync(user, isPersistent: true, [new Claim(RecentLogin.MethodClaim, method)]);
        await audit.RecordAsync(
            AuditKind.RecoveryCodeUsed,
            user,
            AuditActor.Person(Context, user.UserName!),
            (afterPassword ? "After the password. " : "Instead of a passkey. ") + Left(await UserManager.CountRecoveryCodesAsync(user)));
        return SignInResult.Success;
    }

    /// <summary>Checks a password for re-authentication or a confirmation: wrong ones count toward
    /// the lockout, a locked account is refused, and nothing is signed in.</summary>
    public Task<SignInResult> CheckPasswordAsync(UserAccount user, string password) => CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
}

/// <summary>The password step's outcome: the account when the password was right; how long to
/// wait when this client may not try this name now (the password was not checked).</summary>
public readonly record struct PasswordCheck(UserAccount? User, TimeSpan? LockedFor);
