using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Configuration;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Cli;

/// <summary>The <c>users</c> commands: accounts, passwords, quotas and invites.</summary>
internal sealed class UserCommands(IServiceProvider services, CliConsole console)
{
    private UserManager<UserAccount> Users => services.GetRequiredService<UserManager<UserAccount>>();

    public static Command Create(CliConsole console) => new("users", "Create, list and remove accounts; passwords, quotas and invites.")
    {
        AddCommand(console),
        ListCommand(console),
        SetPasswordCommand(console),
        RemoveCommand(console),
        SetQuotaCommand(console),
        InviteCommand(console),
        ImportCommands.Create(console),
        ExportCommands.Create(console),
        MoveInCommands.Create(console),
    };

    private static Command AddCommand(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The new user's name: 1–64 lower-case letters, digits, '.', '_' or '-'." };
        var admin = Flag("--admin", "Make the account an administrator.");
        var passwordStdin = Flag("--password-stdin", "Read the password from the first line of stdin.");
        var noPassword = Flag("--no-password", "Create the account without a password (set one later with set-password).");
        var command = new Command("add", "Create an account; the password is the first line of stdin.") { name, admin, passwordStdin, noPassword };
        command.Validators.Add(result =>
        {
            if (result.GetValue(passwordStdin) == result.GetValue(noPassword))
            {
                result.AddError("'users add' needs exactly one of --password-stdin and --no-password.");
            }
        });
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new UserCommands(services, console).AddAsync(parse.GetRequiredValue(name), parse.GetValue(passwordStdin), parse.GetValue(admin)),
            ct));
        return command;
    }

    private static Command ListCommand(CliConsole console)
    {
        var command = new Command("list", "Accounts with admin flag, creation time, storage use and quota.");
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(console, services => new UserCommands(services, console).ListAsync(ct), ct));
        return command;
    }

    private static Command SetPasswordCommand(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The user whose password to replace." };
        var passwordStdin = Flag("--password-stdin", "Read the new password from the first line of stdin (required).");
        var command = new Command("set-password", "Replace the password (first line of stdin); also lifts a lockout.") { name, passwordStdin };
        command.Validators.Add(result =>
        {
            // A password on the command line would end up in shell history and process lists,
            // so stdin is the only way; the flag makes that explicit in scripts.
            if (!result.GetValue(passwordStdin))
            {
                result.AddError("'users set-password' reads the password from stdin: give --password-stdin.");
            }
        });
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new UserCommands(services, console).SetPasswordAsync(parse.GetRequiredValue(name)),
            ct));
        return command;
    }

    private static Command RemoveCommand(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The user to remove." };
        var now = Flag("--now", "Erase at once instead of after Accounts:DeletionGraceDays.");
        var command = new Command("remove", "Disable the account now and erase it, its grants, tokens and documents after the grace period (or --now).") { name, now };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new UserCommands(services, console).RemoveAsync(parse.GetRequiredValue(name), parse.GetValue(now), ct),
            ct));
        return command;
    }

    private static Command SetQuotaCommand(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The user whose quota to set." };
        var size = new Argument<string>("size")
        {
            HelpName = "size|unlimited|default",
            Description = "e.g. 500M, 10G, 1T or a number of bytes; \"default\" follows Storage:DefaultQuotaBytes.",
        };
        var command = new Command("set-quota", "Set a per-user storage quota.") { name, size };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new UserCommands(services, console).SetQuotaAsync(parse.GetRequiredValue(name), parse.GetRequiredValue(size), ct),
            ct));
        return command;
    }

    private static Command InviteCommand(CliConsole console)
    {
        var command = new Command("invite", "Print a one-time sign-up link (valid 7 days; needs sign-up by invitation: settings signup invite).");
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(console, services => new UserCommands(services, console).InviteAsync(ct), ct));
        return command;
    }

    /// <summary>An option that takes no value: <c>--admin true</c> would otherwise swallow the
    /// next word, where the old parser (and scripts written for it) treat it as an argument.</summary>
    internal static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    private async Task<int> AddAsync(string name, bool withPassword, bool admin)
    {
        if (!UserName.IsValidAccountName(name))
        {
            throw new CliException($"'{name}' is not a valid user name: 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        var password = withPassword ? await ReadPasswordAsync() : null;
        var result = await AccountCommands.CreateAsync(Users, services.GetRequiredService<TimeProvider>(), name, password, admin);
        CliShared.ThrowIfFailed(result);
        await AuditCommands.RecordAsync(services, AuditKind.AdminUserCreated, name, (admin ? "An administrator account" : "An account") + (password is null ? ", without a password." : ", with a password."));
        await console.Out.WriteLineAsync(password is null
            ? $"Created user {name} (no password: set one with 'users set-password {name} --password-stdin')."
            : $"Created user {name}.");
        return 0;
    }

    private async Task<int> ListAsync(CancellationToken ct)
    {
        var accounts = await services.GetRequiredService<AccountDirectory>().ListAsync(null, 1, int.MaxValue, ct);
        var rows = new List<string[]> { new[] { "NAME", "ADMIN", "CREATED (UTC)", "USED BYTES", "DOCUMENTS", "QUOTA" } };
        foreach (var a in accounts.Rows.OrderBy(a => a.UserName, StringComparer.Ordinal))
        {
            rows.Add(
            [
                a.UserName,
                a.IsAdmin ? "yes" : "no",
                a.CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                a.UsedBytes.ToString(CultureInfo.InvariantCulture),
                a.DocumentCount.ToString(CultureInfo.InvariantCulture),
                a.QuotaBytes switch
                {
                    0 => "unlimited",
                    var q => q.ToString(CultureInfo.InvariantCulture) + (a.OwnQuotaBytes is null ? " (default)" : string.Empty),
                },
            ]);
        }

        await CliShared.WriteTableAsync(console.Out, rows);
        return 0;
    }

    private async Task<int> SetPasswordAsync(string name)
    {
        var user = await CliShared.FindUserAsync(Users, name);
        var password = await ReadPasswordAsync();
        CliShared.ThrowIfFailed(await AccountCommands.SetPasswordAsync(Users, user, password));
        await AuditCommands.RecordAsync(services, AuditKind.AdminPasswordSet, user.UserName, "A new password from the command line; any lockout lifted.");
        await console.Out.WriteLineAsync($"Password of {user.UserName} changed.");
        return 0;
    }

    /// <summary>
    /// The account page's deletion, for an operator: disables the account at once (login, tokens,
    /// public documents) and schedules its erasure after the grace period, which the server's job
    /// carries out; with <paramref name="now"/> (or a grace of 0) it erases here, to the end, with
    /// progress on stderr: a large account's blobs take a while.
    /// </summary>
    private async Task<int> RemoveAsync(string name, bool now, CancellationToken ct)
    {
        var user = await CliShared.FindUserAsync(Users, name);
        var graceDays = services.GetRequiredService<IOptions<AccountOptions>>().Value.DeletionGraceDays;
        await ProgressAsync($"disabling {name}: grants suspended, login and public documents refused");
        var deletion = await services.GetRequiredService<AccountDeletions>().ScheduleAsync(user.UserName!, eraseNow: now, ct);
        await AuditCommands.RecordAsync(services, AuditKind.AccountDeletionRequested, user.UserName, now || graceDays == 0
            ? "From the command line, to be erased at once."
            : $"From the command line; to be erased on {PendingDeletions.Describe(deletion.EraseAfterUtc)}.");
        var db = services.GetRequiredService<StorageDbContext>();
        if (!now && graceDays > 0 && deletion.State == AccountDeletionState.Pending)
        {
            await console.Out.WriteLineAsync(
                $"Scheduled user {name} for erasure on {PendingDeletions.Describe(deletion.EraseAfterUtc)}: the account is disabled now; " +
                $"they can cancel by logging in before then. Use 'users remove {name} --now' to erase at once.");
            return 0;
        }

        var stored = await db.Accounts.AsNoTracking()
            .Where(a => a.UserName == name)
            .Select(a => new { a.DocumentCount, a.UsedBytes })
            .FirstOrDefaultAsync(ct);
        var grants = await AccountGrants.CountAsync(db, name, ct);
        var eraser = services.GetRequiredService<AccountEraser>();
        if (!await eraser.TryClaimAsync(name, ct))
        {
            throw new CliException($"{name} is being erased by another server process right now; it finishes there.");
        }

        await ProgressAsync(string.Create(CultureInfo.InvariantCulture, $"deleting {stored?.DocumentCount ?? 0} document(s), {stored?.UsedBytes ?? 0} byte(s)"));
        await eraser.EraseAsync(name, new ProgressLines(console.Error, "users remove"), stopAfterBatches: null, ct);
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Removed user {name}: {stored?.DocumentCount ?? 0} document(s), {stored?.UsedBytes ?? 0} byte(s), {grants} grant(s)."));
        return 0;

        Task ProgressAsync(string step) => console.Error.WriteLineAsync("users remove: " + step);
    }

    private async Task<int> SetQuotaAsync(string name, string text, CancellationToken ct)
    {
        if (await Users.FindByNameAsync(name) is null)
        {
            throw new CliException($"There is no user '{name}'.");
        }

        if (!Quotas.TryParseOwnQuota(text, out var quota))
        {
            throw new CliException($"'{text}' is not a size: {Quotas.OwnQuotaHint}.");
        }

        await UserLock.SetQuotaAsync(services.GetRequiredService<StorageDbContext>(), name, quota, ct);
        await AuditCommands.RecordAsync(services, AuditKind.AdminQuotaSet, name, quota switch
        {
            null => "The default quota.",
            0 => "No quota.",
            _ => string.Create(CultureInfo.InvariantCulture, $"{quota} bytes."),
        });
        await console.Out.WriteLineAsync(quota switch
        {
            null => $"{name} now has the default quota.",
            0 => $"{name} now has no quota.",
            _ => $"{name} may now store {quota} bytes.",
        });
        return 0;
    }

    private async Task<int> InviteAsync(CancellationToken ct)
    {
        var signup = await services.GetRequiredService<SignupSettings>().GetAsync(ct);
        if (signup != SignupPolicy.Invite)
        {
            throw new CliException($"Invite links work only with Accounts:Signup=Invite (it is {signup}; change it with 'settings signup invite').");
        }

        var token = await services.GetRequiredService<Invites>().CreateAsync("(cli)", ct);
        await AuditCommands.RecordAsync(services, AuditKind.AdminInviteCreated, null, "A one-time sign-up link, valid 7 days, from the command line.");

        // Without a configured public origin only the path is known; the operator adds the host.
        var origin = services.GetRequiredService<PublicUrls>().ConfiguredAccountOrigin();
        await console.Out.WriteLineAsync((origin ?? string.Empty) + Invites.LinkPath(token));
        return 0;
    }

    private async Task<string> ReadPasswordAsync()
    {
        var line = await console.In.ReadLineAsync();
        return string.IsNullOrEmpty(line) ? throw new CliException("No password on stdin (the first line is the password).") : line;
    }
}
