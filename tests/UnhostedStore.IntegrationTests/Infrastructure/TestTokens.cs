using System.Collections.Concurrent;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Real access tokens for tests: each one is a real grant plus a real OpenIddict reference
/// token, minted exactly as the admin CLI's <c>tokens issue</c> does (<see cref="OperatorTokens"/>).
/// The account is created on first use (without a password; tests that log in set one).
/// </summary>
public sealed class TestTokens(Func<IServiceProvider> services)
{
    public const string Origin = "https://tests.example";

    private readonly ConcurrentDictionary<string, (string User, string AuthorizationId)> _issued = new(StringComparer.Ordinal);

    public string Issue(string user, params string[] scopes) =>
        Task.Run(() => IssueAsync(user, scopes)).GetAwaiter().GetResult();

    public async Task<string> IssueAsync(string user, params string[] scopes)
    {
        await using var scope = services().CreateAsyncScope();
        var provider = scope.ServiceProvider;
        await EnsureAccountAsync(provider, user);
        if (!ScopeSet.TryParse(string.Join(' ', scopes), out var scopeSet))
        {
            throw new ArgumentException("invalid scopes: " + string.Join(' ', scopes), nameof(scopes));
        }

        _ = ClientOrigin.TryParse(Origin, out var origin, out _);
        var issued = await provider.GetRequiredService<OperatorTokens>().IssueAsync(user, scopeSet, origin!, 1, CancellationToken.None);
        _issued[issued.AccessToken] = (user, issued.AuthorizationId);
        return issued.AccessToken;
    }

    /// <summary>Revokes the grant behind the token, as the account page's Revoke button does.</summary>
    public void Revoke(string token) => Task.Run(async () =>
    {
        var (user, authorizationId) = _issued[token];
        await using var scope = services().CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Grants>().RevokeByIdAsync(user, authorizationId, CancellationToken.None);
    }).GetAwaiter().GetResult();

    public static async Task EnsureAccountAsync(IServiceProvider provider, string user)
    {
        var users = provider.GetRequiredService<UserManager<UnhostedStore.Persistence.UserAccount>>();
        if (await users.FindByNameAsync(user) is null)
        {
            var result = await users.CreateAsync(new UnhostedStore.Persistence.UserAccount { UserName = user, CreatedUtc = DateTime.UtcNow });
            if (!result.Succeeded && await users.FindByNameAsync(user) is null)
            {
                throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
            }
        }
    }
}
