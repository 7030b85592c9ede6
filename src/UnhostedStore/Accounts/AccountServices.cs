using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Configuration;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

public static class AccountServices
{
    /// <summary>
    /// Accounts: <c>Accounts:*</c> and the quota settings, ASP.NET Core Identity with its cookie,
    /// passkeys and two-factor login, invites, password-reset links, the settings an admin changes
    /// at run time, and the first-run setup link.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateWithFluent<AccountOptions, AccountOptionsValidator>();
        services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section).ValidateWithFluent<QuotaOptions, QuotaOptionsValidator>();
        services.AddSingleton<Quotas>();
        services.AddScoped<Invites>();
        services.AddScoped<SettingsStore>();
        services.AddScoped<SignupSettings>();
        services.AddScoped<AdminRights>();
        services.AddScoped<AccountDirectory>();
        services.AddSingleton<SetupLinks>();
        services.AddHostedService<FirstRunHostedService>();
        services.AddAuditLog();

        services.AddIdentity<UserAccount, IdentityRole>(o =>
            {
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789._-";
                o.User.RequireUniqueEmail = false;
                o.Password.RequiredLength = AccountErrors.MinPasswordLength;
                o.Password.RequiredUniqueChars = 1;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.AllowedForNewUsers = true;
                o.SignIn.RequireConfirmedAccount = false;

                // Schema version 3: the passkeys table (see IdentitySchema).
                IdentitySchema.Configure(o);

                // Authenticator app codes that work once (OneTimeAuthenticatorTokenProvider).
                o.Tokens.AuthenticatorTokenProvider = OneTimeAuthenticatorTokenProvider.ProviderName;

                // Password-reset links an admin hands on, on the server's clock (PasswordResetLinks).
                o.Tokens.PasswordResetTokenProvider = PasswordResetLinks.ProviderName;
            })
            .AddEntityFrameworkStores<StorageDbContext>()
            .AddUserStore<AccountUserStore>()
            .AddSignInManager<AccountSignIn>()
            .AddErrorDescriber<AccountErrors>()
            .AddDefaultTokenProviders()
            .AddTokenProvider<OneTimeAuthenticatorTokenProvider>(OneTimeAuthenticatorTokenProvider.ProviderName)
            .AddTokenProvider<PasswordResetLinks>(PasswordResetLinks.ProviderName);
        services.AddScoped<LoginPolicy>();
        services.AddSingleton<LoginLockout>();
        services.Configure<MvcOptions>(o => o.Filters.Add(new TwoFactorEnrolmentGate()));

        // Passkeys (WebAuthn Level 3) with Identity's own handler. Discoverable credentials, so
        // the login asks for no user name (and tells nothing about which names exist), and user
        // verification required, so a passkey login is two factors by itself.
        services.AddOptions<IdentityPasskeyOptions>().Configure<PublicUrls>((o, urls) =>
        {
            o.ResidentKeyRequirement = "required";
            o.UserVerificationRequirement = "required";

            // WebAuthn §7.1 step 9: the origin in the client data must be ours. Compared with the
            // account pages' origin rather than the Origin header, which browsers send as "null"
            // on our pages (Referrer-Policy: no-referrer). The RP ID is the request's host.
            o.ValidateOrigin = context => ValueTask.FromResult(
                !context.CrossOrigin
                && string.Equals(context.Origin, urls.AccountOrigin(context.HttpContext.Request), StringComparison.OrdinalIgnoreCase));
        });
        services.AddOptions<IdentityOptions>().Configure<Microsoft.Extensions.Options.IOptions<AccountOptions>>((o, accounts) =>
        {
            o.Lockout.MaxFailedAccessAttempts = accounts.Value.LockoutAttempts;
            o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(accounts.Value.LockoutMinutes);
        });
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/login";
            o.Cookie.Name = "unhostedstore";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromDays(14);
            o.SlidingExpiration = true;

            // Identity's own check (the security stamp) runs first; then a leaving account's
            // sessions end (PendingDeletions.RejectDisabledAsync).
            var stampCheck = o.Events.OnValidatePrincipal;
            o.Events.OnValidatePrincipal = async context =>
            {
                await stampCheck(context);
                await PendingDeletions.RejectDisabledAsync(context);
            };
        });

        // ASVS V3.4.1–V3.4.3: the antiforgery cookie is HttpOnly and SameSite=Strict by default but
        // never Secure; like the login cookie it is Secure whenever the request came over HTTPS
        // (directly or, through a trusted proxy, X-Forwarded-Proto).
        services.AddAntiforgery(o =>
        {
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.Configure<SecurityStampValidatorOptions>(o => o.OnRefreshingPrincipal = KeepLoginClaims);
        return services;
    }

    /// <summary>Identity rebuilds the session's principal when it re-checks the security stamp
    /// (every 30 minutes): how and when the person logged in stays as it was.</summary>
    private static Task KeepLoginClaims(SecurityStampRefreshingPrincipalContext context)
    {
        if (context.NewPrincipal?.Identities.FirstOrDefault() is not { } identity || context.CurrentPrincipal is null)
        {
            return Task.CompletedTask;
        }

        foreach (var type in new[] { RecentLogin.AuthTimeClaim, RecentLogin.MethodClaim, RecentLogin.MustEnrolClaim })
        {
            if (!identity.HasClaim(c => c.Type == type) && context.CurrentPrincipal.FindFirst(type) is { } claim)
            {
                identity.AddClaim(new System.Security.Claims.Claim(claim.Type, claim.Value, claim.ValueType));
            }
        }

        return Task.CompletedTask;
    }
}
