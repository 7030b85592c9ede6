using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary>The <c>tokens</c> commands: grants an operator issues, lists and revokes.</summary>
internal sealed class TokenCommands(IServiceProvider services, CliConsole console)
{
    private UserManager<UserAccount> Users => services.GetRequiredService<UserManager<UserAccount>>();

    private Grants Grants => services.GetRequiredService<Grants>();

    public static Command Create(CliConsole console) => new("tokens", "Issue, list and revoke the apps' grants of a user.")
    {
        IssueCommand(console),
        ListCommand(console),
        RevokeCommand(console),
    };

    private static Command IssueCommand(CliConsole console)
    {
        var user = new Argument<string>("user") { Description = "The user the token acts for." };
        var scope = new Option<string>("--scope")
        {
            HelpName = "scopes",
            Description = "Space-separated <module>:r or <module>:rw (module * for all), e.g. \"notes:rw contacts:r\".",
        };
        var origin = new Option<string>("--origin")
        {
            HelpName = "origin",
            Description = "The app's origin the grant is for (default " + OperatorTokens.DefaultOrigin + ").",
        };

        // Parsed by the command rather than as an int option: a bad number is an operator's
        // mistake (exit 1 with a hint), as it always was, not a malformed command line.
        var expires = new Option<string>("--expires")
        {
            HelpName = "days",
            Description = "Lifetime in days; none (or 0) means until revoked.",
        };
        var command = new Command("issue", "Grant an app access and print only its token.") { user, scope, origin, expires };
        command.Validators.Add(result =>
        {
            if (result.GetResult(scope) is null)
            {
                result.AddError("'tokens issue' needs --scope, e.g. --scope \"notes:rw\".");
            }
        });
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new TokenCommands(services, console).IssueAsync(parse.GetRequiredValue(user), parse.GetRequiredValue(scope), parse.GetValue(origin), parse.GetValue(expires), ct),
            ct));
        return command;
    }

    private static Command ListCommand(CliConsole console)
    {
        var user = new Argument<string>("user") { Description = "The user whose grants to list." };
        var command = new Command("list", "The user's grants: origin, scopes, granted, expires.") { user };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new TokenCommands(services, console).ListAsync(parse.GetRequiredValue(user), ct),
            ct));
        return command;
    }

    private static Command RevokeCommand(CliConsole console)
    {
        var user = new Argument<string>("user") { Description = "The user whose grants to revoke." };
        var origin = new Option<string>("--origin") { HelpName = "origin", Description = "Revoke only this app's grant." };
        var command = new Command("revoke", "Revoke all grants of the user, or one app's; their tokens stop working at once.") { user, origin };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new TokenCommands(services, console).RevokeAsync(parse.GetRequiredValue(user), parse.GetValue(origin), ct),
            ct));
        return command;
    }

    private async Task<int> IssueAsync(string name, string scopeText, string? originText, string? expires, CancellationToken ct)
    {
        var user = await CliShared.FindUserAsync(Users, name);
        if (!ScopeSet.TryParse(scopeText, out var scopes))
        {
            throw new CliException($"'{scopeText}' is not a valid scope: space-separated <module>:r or <module>:rw (module * for all).");
        }

        var origin = ParseOrigin(originText ?? OperatorTokens.DefaultOrigin);
        var days = 0;
        if (expires is not null
            && (!int.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out days) || days > OperatorTokens.MaxDays))
        {
            throw new CliException($"--expires is a number of days (0 = until revoked), not '{expires}'.");
        }

        if (await OperatorTokens.RefusalAsync(services.GetRequiredService<StorageDbContext>(), user.UserName!, ct) is { } refusal)
        {
            throw new CliException(refusal);
        }

        var issued = await services.GetRequiredService<OperatorTokens>().IssueAsync(user.UserName!, scopes, origin, days, ct);
        await AuditCommands.RecordAsync(services, AuditKind.GrantCreated, user.UserName, string.Create(
            CultureInfo.InvariantCulture,
            $"{origin.Value}: {scopes}, {(days > 0 ? $"for {days} days" : "until revoked")}; a token issued from the command line."));

        // Nothing else goes to stdout, so `TOKEN=$(unhostedstore tokens issue …)` works.
        await console.Out.WriteLineAsync(issued.AccessToken);
        return 0;
    }

    private async Task<int> ListAsync(string name, CancellationToken ct)
    {
        var user = await CliShared.FindUserAsync(Users, name);
        var rows = new List<string[]> { new[] { "ORIGIN", "SCOPES", "GRANTED (UTC)", "EXPIRES (UTC)" } };
        foreach (var grant in await Grants.ListAsync(user.UserName!, ct))
        {
            rows.Add(
            [
                grant.AppPasswordName is { } appPassword ? "app password \"" + appPassword + "\"" : grant.Origin,
                grant.Scopes.ToString(),
                grant.GrantedUtc?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-",
                grant.ExpiresUtc?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "never",
            ]);
        }

        await CliShared.WriteTableAsync(console.Out, rows);
        return 0;
    }

    private async Task<int> RevokeAsync(string name, string? originText, CancellationToken ct)
    {
        var user = await CliShared.FindUserAsync(Users, name);
        var origin = originText is null ? null : ParseOrigin(originText);
        var revoked = await Grants.RevokeAsync(user.UserName!, origin?.Value, ct);
        if (revoked > 0)
        {
            await AuditCommands.RecordAsync(services, AuditKind.GrantRevoked, user.UserName, string.Create(
                CultureInfo.InvariantCulture,
                $"{origin?.Value ?? "All apps"} ({revoked} grant(s)), from the command line."));
        }

        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Revoked {revoked} grant(s) of {user.UserName}{(origin is null ? string.Empty : " for " + origin.Value)}."));
        return 0;
    }

    private static ClientOrigin ParseOrigin(string text) =>
        ClientOrigin.TryParse(text, out var origin, out var error)
            ? origin!
            : throw new CliException($"'{text}' is not a valid origin: {error}.");
}
