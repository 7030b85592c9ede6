using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnhostedStore.Authorization;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Test-only bearer tokens: an in-memory table of token → (user, scopes), served through a
/// test authentication scheme registered under <see cref="StorageClaims.Scheme"/>. Production
/// code has no such scheme. OAuth (next issue) replaces this with real tokens.
/// </summary>
public sealed class TestTokens
{
    private readonly ConcurrentDictionary<string, (string User, string[] Scopes)> _tokens = new(StringComparer.Ordinal);

    public string Issue(string user, params string[] scopes)
    {
        var token = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
            .Replace('+', '-').Replace('/', '_').TrimEnd('=');
        _tokens[token] = (user, scopes);
        return token;
    }

    public void Revoke(string token) => _tokens.TryRemove(token, out _);

    internal bool TryGet(string token, out (string User, string[] Scopes) grant) => _tokens.TryGetValue(token, out grant);
}

public sealed class TestTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TestTokens tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken.Read(Request.Headers.Authorization, out var token) != BearerTokenStatus.Present)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!tokens.TryGet(token, out var grant))
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        }

        var claims = new List<Claim> { new(StorageClaims.Subject, grant.User) };
        claims.AddRange(grant.Scopes.Select(s => new Claim(StorageClaims.Scope, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }
}
