using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.Configuration;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

public static class AccountServices
{
    /// <summary>
    /// Accounts: <c>Accounts:*</c> and the quota settings, ASP.NET Core Identity with its cookie,
    /// invites, and the first-run setup link.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateWithFluent<AccountOptions, AccountOptionsValidator>();
        services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section).ValidateWithFluent<QuotaOptions, QuotaOptionsValidator>();
        services.AddSingleton<Quotas>();
        services.AddScoped<Invites>();
        services.AddSingleton<SetupLinks>();
        services.AddHostedService<FirstRunHostedService>();

        // Cookie and antiforgery keys in the database: every instance reads the same key ring.
        services.AddDataProtection()
            .SetApplicationName("UnhostedStore")
            .PersistKeysToDbContext<StorageDbContext>();

        services.AddIdentity<UserAccount, IdentityRole>(o =>
            {
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789._-";
                o.User.RequireUniqueEmail = false;
                o.Password.RequiredLength = 10;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.AllowedForNewUsers = true;
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<StorageDbContext>()
            .AddDefaultTokenProviders();
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
        return services;
    }
}
