using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Authorization;

/// <summary>
/// The application's own request pipeline, for running one request in-process (no socket).
/// Set once the pipeline is configured.
/// </summary>
public sealed class InProcessPipeline
{
    private Func<RequestDelegate>? _factory;
    private RequestDelegate? _pipeline;

    public void Set(Func<RequestDelegate> factory) => _factory = factory;

    public RequestDelegate Pipeline =>
        _pipeline ??= _factory?.Invoke() ?? throw new InvalidOperationException("The request pipeline is not configured.");
}

/// <summary>
/// Issues an access token for a user as consent would, for the admin CLI, the admin pages and scripts:
/// it records a grant (an authorization entry) and then has OpenIddict mint the token through
/// its own token endpoint, run in-process with the <see cref="OperatorGrant"/> grant type.
/// </summary>
public sealed record IssuedToken(string AccessToken, string AuthorizationId);

public sealed class OperatorTokens(Grants grants, InProcessPipeline pipeline, IServiceScopeFactory scopes)
{
    public const string DefaultOrigin = "https://operator.invalid";

    /// <summary>The longest lifetime in days; 0 means until revoked.</summary>
    public const int MaxDays = 36500;

    /// <summary>Why no token may be issued for <paramref name="user"/> now, or null. A leaving
    /// account's grants are suspended and a disabled one's set aside: a new grant would let an
    /// app in again.</summary>
    public static async Task<string?> RefusalAsync(StorageDbContext db, string user, CancellationToken ct) =>
        await PendingDeletions.IsDisabledAsync(db, user, ct)
            ? $"{user} is scheduled for erasure: no token can be issued until the deletion is cancelled."
            : await AccountStates.IsDisabledAsync(db, user, ct)
                ? $"{user} is disabled: no token can be issued until an admin enables the account."
                : null;

    public Task<IssuedToken> IssueAsync(string user, ScopeSet scopeSet, ClientOrigin origin, int days, CancellationToken ct) =>
        IssueAsync(user, scopeSet, origin, days, appPasswordName: null, ct);

    /// <summary>Records a grant and mints its token; an app password's (<see cref="AppPasswords"/>)
    /// when <paramref name="appPasswordName"/> is given.</summary>
    public async Task<IssuedToken> IssueAsync(string user, ScopeSet scopeSet, ClientOrigin origin, int days, string? appPasswordName, CancellationToken ct)
    {
        var applicationId = await grants.EnsureApplicationAsync(origin, ct);
        var authorizationId = await grants.CreateAsync(user, applicationId, scopeSet, days, appPasswordName, ct);
        var lifetime = days > 0 ? TimeSpan.FromDays(days) : Grants.UntilRevoked;

        var form = "grant_type=" + Uri.EscapeDataString(OperatorGrant.Type)
                 + "&client_id=" + Uri.EscapeDataString(origin.Value)
                 + "&scope=" + Uri.EscapeDataString(scopeSet.ToString());
        await using var scope = scopes.CreateAsyncScope();
        var context = CreateContext(scope.ServiceProvider, form, new OperatorGrantFeature(user, authorizationId, scopeSet, lifetime));
        await pipeline.Pipeline(context);

        var body = ((MemoryStream)context.Features.Get<IHttpResponseBodyFeature>()!.Stream).ToArray();
        using var json = JsonDocument.Parse(body);
        if (context.Response.StatusCode != StatusCodes.Status200OK || !json.RootElement.TryGetProperty(Parameters.AccessToken, out var token))
        {
            throw new InvalidOperationException("The token endpoint refused the operator grant: " + Encoding.UTF8.GetString(body));
        }

        return new IssuedToken(token.GetString()!, authorizationId);
    }

    private static DefaultHttpContext CreateContext(IServiceProvider services, string form, OperatorGrantFeature grant)
    {
        var features = new FeatureCollection();
        var bytes = Encoding.UTF8.GetBytes(form);
        var request = new HttpRequestFeature
        {
            Method = HttpMethods.Post,
            Scheme = "https",
            Path = OAuthServices.TokenPath,
            RawTarget = OAuthServices.TokenPath,
            Protocol = "HTTP/1.1",
            Body = new MemoryStream(bytes),
        };
        // With split hosts the token endpoint answers only on the account host (HostSplitMiddleware).
        var hosting = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Origins.HostingOptions>>().Value;
        request.Headers.Host = hosting.SplitHosts ? hosting.AccountHost : "operator.invalid";
        request.Headers.ContentType = "application/x-www-form-urlencoded";
        request.Headers.ContentLength = bytes.Length;
        features.Set<IHttpRequestFeature>(request);
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new MemoryStream()));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature { RemoteIpAddress = IPAddress.Loopback, LocalIpAddress = IPAddress.Loopback });
        features.Set<IServiceProvidersFeature>(new RequestServicesFeatureStub(services));
        features.Set(grant);
        return new DefaultHttpContext(features);
    }

    private sealed class RequestServicesFeatureStub(IServiceProvider services) : IServiceProvidersFeature
    {
        public IServiceProvider RequestServices { get; set; } = services;
    }
}
