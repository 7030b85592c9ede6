using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Configuration;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Hosting;

/// <summary>The <c>users</c> and <c>tokens</c> admin commands, run in one service scope.</summary>
public sealed class CliCommands(IServiceProvider services, TextReader stdin, TextWriter stdout)
{
    private UserManager<UserAccount> Users => services.GetRequiredService<UserManager<UserAccount>>();

    private Grants Grants => services.GetRequiredService<Grants>();

    public Task<int> RunAsync(CliArguments args, CancellationToken ct) => args.Name switch
    {
        "users add" => AddUserAsync(args),
        "users list" => ListUsersAsync(ct),
        "users set-password" => SetPasswordAsync(args),
        "users remove" => RemoveUserAsync(args.Positionals[0], ct),
        "tokens issue" => IssueTokenAsync(args, ct),
        "tokens list" => ListTokensAsync(args.Positionals[0], ct),
        "tokens revoke" => RevokeTokensAsync(args, ct),
        "users set-quota" => SetQuotaAsync(args.Positionals[0], args.Positionals[1], ct),
        "reconcile" => ReconcileAsync(args, ct),
        "users invite" => InviteAsync(ct),
        _ => throw new CliUsageException($"Unknown command '{args.Name}'."),
    };

    private async Task<int> AddUserAsync(CliArguments args)
    {
        var name = args.Positionals[0];
        var withPassword = args.Has("--password-stdin");
        if (withPassword == args.Has("--no-password"))
        {
            throw new CliUsageException("'users add' needs exactly one of --password-stdin and --no-password.");
        }

        if (!UserName.IsValidAccountName(name))
        {
            throw new CliException($"'{name}' is not a valid user name: 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        var password = withPassword ? await ReadPasswordAsync() : null;
        var result = await AccountCommands.CreateAsync(Users, services.GetRequiredService<TimeProvider>(), name, password, args.Has("--admin"));
        ThrowIfFailed(result);
        await stdout.WriteLineAsync(password is null
            ? $"Created user {name} (no password: set one with 'users set-password {name} --password-stdin')."
            : $"Created user {name}.");
        return 0;
    }

    private async Task<int> ListUsersAsync(CancellationToken ct)
    {
        var db = services.GetRequiredService<StorageDbContext>();
        var accounts = await Users.Users.AsNoTracking()
            .Select(u => new { u.UserName, u.IsAdmin, u.CreatedUtc })
            .ToListAsync(ct);
        var usage = await db.Accounts.AsNoTracking().ToDictionaryAsync(a => a.UserName, StringComparer.Ordinal, ct);

        var quotas = services.GetRequiredService<Quotas>();
        var rows = new List<string[]> { new[] { "NAME", "ADMIN", "CREATED (UTC)", "USED BYTES", "DOCUMENTS", "QUOTA" } };
        foreach (var a in accounts.OrderBy(a => a.UserName, StringComparer.Ordinal))
        {
            usage.TryGetValue(a.UserName!, out var u);
            rows.Add(
            [
                a.UserName!,
                a.IsAdmin ? "yes" : "no",
                a.CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                (u?.UsedBytes ?? 0).ToString(CultureInfo.InvariantCulture),
                (u?.DocumentCount ?? 0).ToString(CultureInfo.InvariantCulture),
                quotas.Effective(u?.QuotaBytes) switch
                {
                    0 => "unlimited",
                    var q => q.ToString(CultureInfo.InvariantCulture) + (u?.QuotaBytes is null ? " (default)" : string.Empty),
                },
            ]);
        }

        await WriteTableAsync(rows);
        return 0;
    }

    private async Task<int> SetPasswordAsync(CliArguments args)
    {
        if (!args.Has("--password-stdin"))
        {
            throw new CliUsageException("'users set-password' reads the password from stdin: give --password-stdin.");
        }

        var user = await FindUserAsync(args.Positionals[0]);
        var password = await ReadPasswordAsync();

        // Validate before removing the old one, so a rejected password leaves the account as it was.
        foreach (var validator in Users.PasswordValidators)
        {
            ThrowIfFailed(await validator.ValidateAsync(Users, user, password));
        }

        if (await Users.HasPasswordAsync(user))
        {
            ThrowIfFailed(await Users.RemovePasswordAsync(user));
        }

        ThrowIfFailed(await Users.AddPasswordAsync(user, password));

        // An admin reset also lifts a lockout from failed attempts.
        ThrowIfFailed(await Users.SetLockoutEndDateAsync(user, null));
        ThrowIfFailed(await Users.ResetAccessFailedCountAsync(user));
        await stdout.WriteLineAsync($"Password of {user.UserName} changed.");
        return 0;
    }

    /// <summary>Revokes first (so the user's tokens stop working at once), then deletes the
    /// documents, the grant and token entries and the account.</summary>
    private async Task<int> RemoveUserAsync(string name, CancellationToken ct)
    {
        var user = await FindUserAsync(name);
        await Grants.RevokeAsync(name, origin: null, ct);

        var (documents, bytes) = await services.GetRequiredService<StorageAdmin>().DeleteAllAsync(name, ct);

        var tokens = services.GetRequiredService<IOpenIddictTokenManager>();
        var tokenEntries = new List<object>();
        await foreach (var token in tokens.FindBySubjectAsync(name, ct))
        {
            tokenEntries.Add(token);
        }

        foreach (var token in tokenEntries)
        {
            await tokens.DeleteAsync(token, ct);
        }

        var authorizations = services.GetRequiredService<IOpenIddictAuthorizationManager>();
        var grantEntries = new List<object>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(name, ct))
        {
            grantEntries.Add(authorization);
        }

        foreach (var authorization in grantEntries)
        {
            await authorizations.DeleteAsync(authorization, ct);
        }

        ThrowIfFailed(await Users.DeleteAsync(user));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Removed user {name}: {documents} document(s), {bytes} byte(s), {grantEntries.Count} grant(s)."));
        return 0;
    }

    private async Task<int> IssueTokenAsync(CliArguments args, CancellationToken ct)
    {
        var user = await FindUserAsync(args.Positionals[0]);
        var scopeText = args.Option("--scope") ?? throw new CliUsageException("'tokens issue' needs --scope, e.g. --scope \"notes:rw\".");
        if (!ScopeSet.TryParse(scopeText, out var scopes))
        {
            throw new CliException($"'{scopeText}' is not a valid scope: space-separated <module>:r or <module>:rw (module * for all).");
        }

        var origin = ParseOrigin(args.Option("--origin") ?? OperatorTokens.DefaultOrigin);
        var days = 0;
        if (args.Option("--expires") is { } expires
            && (!int.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out days) || days > 36500))
        {
            throw new CliException($"--expires is a number of days (0 = until revoked), not '{expires}'.");
        }

        var issued = await services.GetRequiredService<OperatorTokens>().IssueAsync(user.UserName!, scopes, origin, days, ct);

        // Nothing else goes to stdout, so `TOKEN=$(unhostedstore tokens issue …)` works.
        await stdout.WriteLineAsync(issued.AccessToken);
        return 0;
    }

    private async Task<int> ListTokensAsync(string name, CancellationToken ct)
    {
        var user = await FindUserAsync(name);
        var rows = new List<string[]> { new[] { "ORIGIN", "SCOPES", "GRANTED (UTC)", "EXPIRES (UTC)" } };
        foreach (var grant in await Grants.ListAsync(user.UserName!, ct))
        {
            rows.Add(
            [
                grant.Origin,
                grant.Scopes.ToString(),
                grant.GrantedUtc?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-",
                grant.ExpiresUtc?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "never",
            ]);
        }

        await WriteTableAsync(rows);
        return 0;
    }

    private async Task<int> RevokeTokensAsync(CliArguments args, CancellationToken ct)
    {
        var user = await FindUserAsync(args.Positionals[0]);
        var origin = args.Option("--origin") is { } text ? ParseOrigin(text) : null;
        var revoked = await Grants.RevokeAsync(user.UserName!, origin?.Value, ct);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Revoked {revoked} grant(s) of {user.UserName}{(origin is null ? string.Empty : " for " + origin.Value)}."));
        return 0;
    }

    private async Task<UserAccount> FindUserAsync(string name) =>
        (UserName.IsValidAccountName(name) ? await Users.FindByNameAsync(name) : null)
        ?? throw new CliException($"There is no user '{name}'.");

    private async Task<int> SetQuotaAsync(string name, string text, CancellationToken ct)
    {
        if (await Users.FindByNameAsync(name) is null)
        {
            throw new CliException($"There is no user '{name}'.");
        }

        long? quota = text switch
        {
            "default" => null,
            "unlimited" => 0,
            _ => Sizes.TryParse(text, out var bytes) && bytes > 0 ? bytes : throw new CliException($"'{text}' is not a size: use e.g. 500M, 10G, 1T, a number of bytes, 'unlimited' or 'default'."),
        };
        await UserLock.SetQuotaAsync(services.GetRequiredService<StorageDbContext>(), name, quota, ct);
        await stdout.WriteLineAsync(quota switch
        {
            null => $"{name} now has the default quota.",
            0 => $"{name} now has no quota.",
            _ => $"{name} may now store {quota} bytes.",
        });
        return 0;
    }

    private async Task<int> ReconcileAsync(CliArguments args, CancellationToken ct)
    {
        var blobOptions = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UnhostedStore.Blobs.BlobOptions>>().Value;
        var graceText = args.Option("--grace-minutes");
        var grace = graceText is null
            ? blobOptions.OrphanGraceMinutes
            : int.TryParse(graceText, NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : throw new CliException("--grace-minutes takes a whole number of minutes.");
        var repair = args.Has("--repair");
        var report = await services.GetRequiredService<UnhostedStore.Storage.BlobReconciler>().RunAsync(repair, TimeSpan.FromMinutes(grace), checkRows: true, ct);

        await stdout.WriteLineAsync($"blobs seen: {report.BlobsSeen}");
        await stdout.WriteLineAsync($"orphan blobs (no row, older than {grace} min): {report.OrphanBlobs.Count}{(repair ? $", removed {report.OrphansRemoved}" : string.Empty)}");
        foreach (var key in report.OrphanBlobs)
        {
            await stdout.WriteLineAsync("  orphan " + key);
        }

        await stdout.WriteLineAsync($"rows whose blob is missing: {report.MissingBlobs.Count}{(repair ? $", removed {report.RowsRemoved}" : string.Empty)}");
        foreach (var (owner, path, key) in report.MissingBlobs)
        {
            await stdout.WriteLineAsync($"  missing {owner}{path} (blob {key})");
        }

        await stdout.WriteLineAsync($"usage counters off: {report.UsageDrifts.Count}{(repair ? $", repaired {report.UsageRepaired}" : string.Empty)}");
        foreach (var d in report.UsageDrifts)
        {
            var scope = d.Module is null ? string.Empty : d.Module.Length == 0 ? " (top level)" : $" module {d.Module}";
            await stdout.WriteLineAsync($"  {d.Owner}{scope}: recorded {d.RecordedBytes} bytes / {d.RecordedDocuments} documents, actual {d.ActualBytes} / {d.ActualDocuments}");
        }

        var clean = report.OrphanBlobs.Count == 0 && report.MissingBlobs.Count == 0 && report.UsageDrifts.Count == 0;
        await stdout.WriteLineAsync(clean ? "no drift" : repair ? "repaired" : "drift found; run with --repair to fix it");
        return 0;
    }

    private async Task<int> InviteAsync(CancellationToken ct)
    {
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccountOptions>>().Value;
        if (options.Signup != SignupPolicy.Invite)
        {
            throw new CliException($"Invite links work only with Accounts:Signup=Invite (it is {options.Signup}).");
        }

        var token = await services.GetRequiredService<Invites>().CreateAsync("(cli)", ct);
        var hosting = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostingOptions>>().Value;
        var origin = hosting.SplitHosts
            ? new Uri(hosting.PublicOrigin ?? "https://" + hosting.AccountHost).Scheme + "://" + hosting.AccountHost
            : hosting.PublicOrigin?.TrimEnd('/');

        // Without a configured public origin only the path is known; the operator adds the host.
        await stdout.WriteLineAsync((origin ?? string.Empty) + Invites.LinkPath(token));
        return 0;
    }

    private static ClientOrigin ParseOrigin(string text) =>
        ClientOrigin.TryParse(text, out var origin, out var error)
            ? origin!
            : throw new CliException($"'{text}' is not a valid origin: {error}.");

    private async Task<string> ReadPasswordAsync()
    {
        var line = await stdin.ReadLineAsync();
        return string.IsNullOrEmpty(line) ? throw new CliException("No password on stdin (the first line is the password).") : line;
    }

    private static void ThrowIfFailed(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new CliException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }

    private async Task WriteTableAsync(List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]));
            await stdout.WriteLineAsync(string.Join("  ", cells));
        }
    }
}
