using System.CommandLine;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary>The <c>settings</c> commands: server-wide settings kept in the database, which every
/// instance on it follows at once (configuration gives only their first value).</summary>
internal sealed class SettingsCommands(IServiceProvider services, CliConsole console)
{
    public static Command Create(CliConsole console) => new("settings", "Server-wide settings kept in the database (all instances follow them).")
    {
        RequireTwoFactorCommand(console),
        SignupCommand(console),
    };

    private static Command RequireTwoFactorCommand(CliConsole console)
    {
        var value = new Argument<string>("on|off")
        {
            Description = "on: every account needs an authenticator app or a passkey (asked at the next password login); off: optional.",
        };
        value.AcceptOnlyFromAmong("on", "off");
        var command = new Command("require-2fa", "Require two-step verification (authenticator app or passkey) for every account, or not.") { value };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new SettingsCommands(services, console).RequireTwoFactorAsync(parse.GetRequiredValue(value) == "on", ct),
            ct));
        return command;
    }

    private static Command SignupCommand(CliConsole console)
    {
        var value = new Argument<string>("closed|invite|open")
        {
            Description = "closed: only admins create accounts; invite: people with an invite link (users invite); open: anyone.",
        };
        value.AcceptOnlyFromAmong("closed", "invite", "open");
        var command = new Command("signup", "Who may create an account: nobody but admins, people with an invite link, or anyone.") { value };
        command.SetAction((parse, ct) => CliHost.RunInScopeAsync(
            console,
            services => new SettingsCommands(services, console).SignupAsync(parse.GetRequiredValue(value), ct),
            ct));
        return command;
    }

    private async Task<int> SignupAsync(string text, CancellationToken ct)
    {
        if (!SignupSettings.TryParse(text, out var policy))
        {
            throw new CliException($"'{text}' is not a sign-up policy: closed, invite or open.");
        }

        await services.GetRequiredService<SignupSettings>().SetAsync(policy, ct);
        await console.Out.WriteLineAsync("Sign-up is now " + SignupSettings.Describe(policy) + ".");
        return 0;
    }

    private async Task<int> RequireTwoFactorAsync(bool required, CancellationToken ct)
    {
        await services.GetRequiredService<LoginPolicy>().SetRequireTwoFactorAsync(required, ct);
        await AuditCommands.RecordAsync(services, AuditKind.AdminSettingChanged, null, required
            ? "Two-step verification required for every account, from the command line."
            : "Two-step verification optional, from the command line.");
        await console.Out.WriteLineAsync(required
            ? "Two-step verification is now required: people without an authenticator app or a passkey set one up at their next password login."
            : "Two-step verification is now optional.");
        return 0;
    }
}
