using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;
using UnhostedStore.Sharing;

namespace UnhostedStore.Cli;

/// <summary>The <c>shares</c> commands: share links an operator makes, lists and revokes for a user.</summary>
internal sealed class ShareCommands(IServiceProvider services, CliConsole console)
{
    private ShareLinks Links => services.GetRequiredService<ShareLinks>();

    public static Command Create(CliConsole console) => new("shares", "Make, list and revoke a user's share links.")
    {
        CreateCommand(console),
        ListCommand(console),
        RevokeCommand(console),
    };

    private static Command CreateCommand(CliConsole console)
    {
        var user = new Argument<string>("user") { Description = "The user whose document or folder to share." };
        var path = new Argument<string>("path") { Description = "A document (notes/todo.txt) or a folder, ending in / (photos/2024/), in that user's storage." };

        // Parsed by the command, like tokens issue: a bad number is an operator's mistake (exit 1).
        var expires = new Option<string>("--expires") { HelpName = "days", Description = "Days the link works; none (or 0) means until revoked." };
        var passwordStdin = UserCommands.Flag("--password-stdin", "Protect the link with a password, read from the first line of stdin.");
        var command = new Command("create", "Make a share link and print its URL (shown only this once).") { user, path, expires, passwordStdin };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new ShareCommands(services, console).CreateAsync(parse.GetRequiredValue(user), parse.GetRequiredValue(path), parse.GetValue(expires), parse.GetValue(passwordStdin), ct),
            ct));
        return command;
    }

    private static Command ListCommand(CliConsole console)
    {
        var user = new Argument<string>("user") { Description = "The user whose links to list." };
        var command = new Command("list", "The user's links: id, path, created, ends, state, opens.") { user };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new ShareCommands(services, console).ListAsync(parse.GetRequiredValue(user), ct),
            ct));
        return command;
    }

    private static Command RevokeCommand(CliConsole console)
    {
        var user = new Argument<string>("user") { Description = "The user whose link to revoke." };
        var link = new Argument<string>("id-or-url") { Description = "The link's id (from shares list), or its URL." };
        var command = new Command("revoke", "Turn a link off; it answers 410 from the next request on.") { user, link };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new ShareCommands(services, console).RevokeAsync(parse.GetRequiredValue(user), parse.GetRequiredValue(link), ct),
            ct));
        return command;
    }

    private async Task<int> CreateAsync(string name, string path, string? expires, bool withPassword, CancellationToken ct)
    {
        var account = await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), name);
        var days = 0;
        if (expires is not null
            && (!int.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out days) || days > ShareLinks.MaxExpiryDays))
        {
            throw new CliException($"--expires is a number of days up to {ShareLinks.MaxExpiryDays} (0 = until revoked), not '{expires}'.");
        }

        string? password = null;
        if (withPassword)
        {
            password = await console.In.ReadLineAsync(ct);
            if (string.IsNullOrEmpty(password))
            {
                throw new CliException("No password on stdin (the first line is the password).");
            }
        }

        var created = await Links.CreateAsync(account.UserName!, path, days, password, ct);
        if (!created.Succeeded)
        {
            throw new CliException(created.Error!);
        }

        await AuditCommands.RecordAsync(services, AuditKind.ShareCreated, account.UserName, AuditDetails.ShareCreated(created.Link!, "from the command line"));

        var origin = services.GetRequiredService<PublicUrls>().ConfiguredAccountOrigin();
        if (origin is null)
        {
            await console.Error.WriteLineAsync("shares create: Hosting:PublicOrigin is not set, so only the path is printed; put the server's address before it.");
        }

        // Only the URL goes to stdout, so `URL=$(unhostedstore shares create …)` works.
        await console.Out.WriteLineAsync((origin ?? string.Empty) + SharePaths.Prefix + created.Token);
        return 0;
    }

    private async Task<int> ListAsync(string name, CancellationToken ct)
    {
        var account = await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), name);
        var rows = new List<string[]> { new[] { "ID", "CREATED (UTC)", "ENDS (UTC)", "STATE", "OPENS", "LAST OPENED (UTC)", "PATH" } };
        foreach (var link in await Links.ListAsync(account.UserName!, ct))
        {
            rows.Add(
            [
                link.Id,
                Time(link.CreatedUtc),
                link.ExpiresUtc is { } e ? Time(e) : "never",
                Links.StateOf(link).ToString().ToLowerInvariant() + (link.PasswordHash is null ? string.Empty : ",password"),
                link.OpenCount.ToString(CultureInfo.InvariantCulture),
                link.LastOpenedUtc is { } o ? Time(o) : "-",
                link.Path,
            ]);
        }

        await CliShared.WriteTableAsync(console.Out, rows);
        return 0;
    }

    private async Task<int> RevokeAsync(string name, string idOrUrl, CancellationToken ct)
    {
        var account = await CliShared.FindUserAsync(services.GetRequiredService<UserManager<UserAccount>>(), name);
        if (await Links.RevokeLinkAsync(account.UserName!, idOrUrl, ct) is not { } revoked)
        {
            throw new CliException($"{name} has no active link '{idOrUrl}'.");
        }

        await AuditCommands.RecordAsync(services, AuditKind.ShareRevoked, account.UserName, AuditDetails.ShareRevoked(revoked, "from the command line"));

        await console.Out.WriteLineAsync("Revoked the link; it no longer opens.");
        return 0;
    }

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
