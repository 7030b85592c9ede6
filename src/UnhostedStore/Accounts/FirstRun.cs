using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>One-time links that let someone create the first (admin) account.</summary>
public sealed class SetupLinks
{
    private readonly ConcurrentDictionary<string, bool> _tokens = new(StringComparer.Ordinal);

    public string Create()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _tokens[token] = true;
        return token;
    }

    public bool IsValid(string? token) => token is not null && _tokens.ContainsKey(token);

    /// <summary>Uses up the link; true only for the first caller.</summary>
    public bool Consume(string? token) => token is not null && _tokens.TryRemove(token, out _);
}

/// <summary>When no account exists yet, logs a one-time link to create the admin account.</summary>
public sealed partial class FirstRunHostedService(
    IServiceProvider services,
    SetupLinks links,
    IServer server,
    IHostApplicationLifetime lifetime,
    IOptions<HostingOptions> hosting,
    ILogger<FirstRunHostedService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = AnnounceAsync());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task AnnounceAsync()
    {
        try
        {
            await using var scope = services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
            if (await users.Users.AnyAsync())
            {
                return;
            }

            var origin = hosting.Value.PublicOrigin is { Length: > 0 } configured
                ? configured.TrimEnd('/')
                : server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal) ?? "http://127.0.0.1:5000";
            if (hosting.Value.SplitHosts)
            {
                origin = new Uri(origin).Scheme + "://" + hosting.Value.AccountHost;
            }

            LogSetupLink(logger, origin + "/setup?token=" + links.Create());
        }
        catch (Exception e)
        {
            LogSetupFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No account exists yet. Create the admin account here (one-time link): {Link}")]
    private static partial void LogSetupLink(ILogger logger, string link);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not check for existing accounts")]
    private static partial void LogSetupFailed(ILogger logger, Exception exception);
}
