using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Authorization;

public static class OAuthServices
{
    public const string AuthorizePath = "/oauth/authorize";

    public const string TokenPath = "/oauth/token";

    public const string TokenCorsPolicy = "oauth-token";

    /// <summary>
    /// OpenIddict in normal mode for apps that are never registered (see
    /// shared/design/oauth-openiddict.md): implicit grant (what remotestorage.js uses) and
    /// code + PKCE (S256 only); opaque reference access tokens, stored hashed, checked against
    /// their token and grant entries on every request so revocation is immediate.
    /// </summary>
    public static IServiceCollection AddOAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var hosting = new HostingOptions();
        configuration.GetSection(HostingOptions.Section).Bind(hosting);
        var requireHttps = configuration.GetValue("OAuth:RequireHttps", false);

        // OAuth keys from the database too, read when OpenIddict's options are first built.
        services.AddSingleton<ServerKeyStore>();
        services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<OpenIddictServerOptions>, ServerKeyOptions>();

        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<StorageDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris(AuthorizePath.TrimStart('/'))
                 .SetTokenEndpointUris(TokenPath.TrimStart('/'));
                o.AllowImplicitFlow()
                 .AllowAuthorizationCodeFlow()
                 .RequireProofKeyForCodeExchange()
                 .AllowCustomFlow(OperatorGrant.Type);

                // draft-26 §10.1: S256 MUST be supported; "plain" is not offered at all.
                o.Configure(x => x.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));

                // Scopes are dynamic (<module>:r|rw); our own code checks their syntax.
                o.DisableScopeValidation();
                o.IgnoreScopePermissions();

                // redirect_uri is checked against the app's origin, not a registered list.
                o.RemoveEventHandler(OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor);
                o.AddEventHandler(OriginClientHandler.Descriptor);
                o.AddEventHandler(TokenRequestOriginHandler.Descriptor);

                o.UseReferenceAccessTokens();
                o.DisableAccessTokenEncryption();
                // Signing and encryption keys: ServerKeyOptions (stored in the database).

                // A fixed issuer: tokens are then valid whichever host name a request used.
                o.SetIssuer(new Uri(hosting.PublicOrigin is { Length: > 0 } origin ? origin : "urn:unhostedstore"));

                var aspnet = o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough();
                if (!requireHttps)
                {
                    // Plain http is what `dotnet run` and a TLS-terminating proxy give us.
                    aspnet.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
                o.EnableTokenEntryValidation();
                o.EnableAuthorizationEntryValidation();

                // "Last used" on the account page: a dictionary write per request, stored in batches.
                o.AddEventHandler(GrantUsageHandler.Descriptor);
            });

        services.AddCors(o => o.AddPolicy(TokenCorsPolicy, p => p.AllowAnyOrigin().AllowAnyHeader().WithMethods("POST")));
        services.AddScoped<Grants>();
        services.AddSingleton<GrantUsageTracker>();
        services.AddHostedService<GrantUsageFlusher>();
        services.AddSingleton<InProcessPipeline>();
        services.AddScoped<OperatorTokens>();
        services.AddScoped<AppPasswords>();
        services.AddSingleton<FluentValidation.IValidator<AppPasswordRequest>, AppPasswordRequestValidator>();
        services.AddScoped<AccountDisabling>();
        return services;
    }

}
