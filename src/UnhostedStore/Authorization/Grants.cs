using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Authorization;

/// <summary>One app's access to one user's storage, as the account page and CLI show it.
/// <paramref name="AppPasswordName"/> is set for an app password (<see cref="AppPasswords"/>).</summary>
public sealed record GrantInfo(string AuthorizationId, string Origin, ScopeSet Scopes, DateTime? GrantedUtc, DateTime? ExpiresUtc, string? AppPasswordName = null)
{
    public bool IsAppPassword => AppPasswordName is not null;
}

/// <summary>
/// Grants are OpenIddict authorization entries (user + app origin + scopes), permanent, with
/// the lifetime the user chose stored beside them. Tokens are always tied to one; revoking a
/// grant revokes its tokens, and validation checks both on every request.
/// </summary>
public sealed class Grants(
    IOpenIddictApplicationManager applications,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictTokenManager tokens,
    IServiceScopeFactory scopeFactory,
    TimeProvider clock)
{
    /// <summary>"Until revoked" still needs a token lifetime: ten years.</summary>
    public static readonly TimeSpan UntilRevoked = TimeSpan.FromDays(3650);

    private const string ExpiresProperty = "us_expires";

    /// <summary>Marks an app password's grant and holds the name its owner gave it.</summary>
    private const string AppPasswordProperty = "us_app_password";

    public static readonly int[] LifetimeChoices = [1, 30, 90, 0];

    public Task<string> EnsureApplicationAsync(ClientOrigin origin, CancellationToken ct) =>
        ClientApplications.EnsureAsync(scopeFactory, origin.Value, ct);

    /// <summary>A valid, unexpired grant of this user to this app that covers the scopes, if any.</summary>
    public async Task<(string Id, DateTime? ExpiresUtc)?> FindCoveringAsync(string user, string applicationId, ScopeSet requested, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await foreach (var authorization in authorizations.FindAsync(user, applicationId, Statuses.Valid, AuthorizationTypes.Permanent, ImmutableArray<string>.Empty, ct))
        {
            var properties = await authorizations.GetPropertiesAsync(authorization, ct);
            var expires = Expires(properties);
            if ((expires is { } e && e <= now) || AppPasswordName(properties) is not null)
            {
                // An app password's grant is never reused by consent: it belongs to its token.
                continue;
            }

            var granted = ScopeSet.FromScopes(ParseScopes(await authorizations.GetScopesAsync(authorization, ct)));
            if (granted.Covers(requested))
            {
                return ((await authorizations.GetIdAsync(authorization, ct))!, expires);
            }
        }

        return null;
    }

    /// <summary>Records the user's consent: a new permanent grant.</summary>
    public Task<string> CreateAsync(string user, string applicationId, ScopeSet scopes, int days, CancellationToken ct) =>
        CreateAsync(user, applicationId, scopes, days, appPasswordName: null, ct);

    /// <summary>A new permanent grant; an app password's when <paramref name="appPasswordName"/> is given.</summary>
    public async Task<string> CreateAsync(string user, string applicationId, ScopeSet scopes, int days, string? appPasswordName, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = applicationId,
            CreationDate = now,
            Status = Statuses.Valid,
            Subject = user,
            Type = AuthorizationTypes.Permanent,
        };
        descriptor.Scopes.UnionWith(scopes.Scopes.Select(s => s.ToString()));
        if (days > 0)
        {
            descriptor.Properties[ExpiresProperty] = JsonSerializer.SerializeToElement(new DateTimeOffset(now.AddDays(days)).ToUnixTimeSeconds());
        }

        if (appPasswordName is not null)
        {
            descriptor.Properties[AppPasswordProperty] = JsonSerializer.SerializeToElement(appPasswordName);
        }

        var created = await authorizations.CreateAsync(descriptor, ct);
        return (await authorizations.GetIdAsync(created, ct))!;
    }

    /// <summary>The principal OpenIddict turns into an access token for this grant.</summary>
    public ClaimsPrincipal CreatePrincipal(string user, string authorizationId, ScopeSet scopes, DateTime? grantExpiresUtc)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user);
        identity.SetClaim(Claims.Name, user);
        identity.SetScopes(scopes.Scopes.Select(s => s.ToString()));
        identity.SetAuthorizationId(authorizationId);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        var principal = new ClaimsPrincipal(identity);
        principal.SetAccessTokenLifetime(TokenLifetime(grantExpiresUtc));
        return principal;
    }

    public TimeSpan TokenLifetime(DateTime? grantExpiresUtc)
    {
        if (grantExpiresUtc is not { } expires)
        {
            return UntilRevoked;
        }

        var left = expires - clock.GetUtcNow().UtcDateTime;
        return left < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : left;
    }

    public async Task<IReadOnlyList<GrantInfo>> ListAsync(string user, CancellationToken ct)
    {
        var list = new List<GrantInfo>();
        var now = clock.GetUtcNow().UtcDateTime;
        await foreach (var authorization in authorizations.FindBySubjectAsync(user, ct))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, ct))
            {
                continue;
            }

            var properties = await authorizations.GetPropertiesAsync(authorization, ct);
            var expires = Expires(properties);
            if (expires is { } e && e <= now)
            {
                continue;
            }

            var appId = await authorizations.GetApplicationIdAsync(authorization, ct);
            var app = appId is null ? null : await applications.FindByIdAsync(appId, ct);
            var origin = app is null ? "(unknown)" : await applications.GetClientIdAsync(app, ct) ?? "(unknown)";
            var created = await authorizations.GetCreationDateAsync(authorization, ct);
            list.Add(new GrantInfo(
                (await authorizations.GetIdAsync(authorization, ct))!,
                origin,
                ScopeSet.FromScopes(ParseScopes(await authorizations.GetScopesAsync(authorization, ct))),
                created?.UtcDateTime,
                expires,
                AppPasswordName(properties)));
        }

        return list.OrderBy(g => g.Origin, StringComparer.Ordinal).ThenBy(g => g.GrantedUtc).ToList();
    }

    /// <summary>Revokes the user's grants (all, or one app's) and every token issued for them.
    /// Validation checks both statuses, so the next storage request with such a token gets 401.</summary>
    public async Task<int> RevokeAsync(string user, string? origin, CancellationToken ct)
    {
        string? applicationId = null;
        if (origin is not null)
        {
            var app = await applications.FindByClientIdAsync(origin, ct);
            if (app is null)
            {
                return 0;
            }

            applicationId = await applications.GetIdAsync(app, ct);
        }

        var revoked = await authorizations.RevokeAsync(user, applicationId, status: null, type: null, ct);
        await tokens.RevokeAsync(user, applicationId, status: null, type: null, ct);

        // This process's validated-token cache forgets them at commit (AuthChangeInterceptor);
        // other processes learn it from the database triggers.
        return (int)revoked;
    }

    /// <summary>Revokes one grant of this user by id (the account page's Revoke button).</summary>
    public async Task<bool> RevokeByIdAsync(string user, string authorizationId, CancellationToken ct)
    {
        var authorization = await authorizations.FindByIdAsync(authorizationId, ct);
        if (authorization is null || await authorizations.GetSubjectAsync(authorization, ct) != user)
        {
            return false;
        }

        await authorizations.TryRevokeAsync(authorization, ct);
        await tokens.RevokeByAuthorizationIdAsync(authorizationId, ct);
        return true;
    }

    private static DateTime? Expires(ImmutableDictionary<string, JsonElement> properties) =>
        properties.TryGetValue(ExpiresProperty, out var value) && value.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeSeconds(value.GetInt64()).UtcDateTime
            : null;

    private static string? AppPasswordName(ImmutableDictionary<string, JsonElement> properties) =>
        properties.TryGetValue(AppPasswordProperty, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static IEnumerable<Scope> ParseScopes(ImmutableArray<string> values)
    {
        foreach (var value in values)
        {
            if (Scope.TryParse(value, out var scope))
            {
                yield return scope;
            }
        }
    }
}
