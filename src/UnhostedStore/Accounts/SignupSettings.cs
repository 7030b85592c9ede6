using Microsoft.Extensions.Options;

namespace UnhostedStore.Accounts;

/// <summary>
/// Who may create an account (<see cref="SignupPolicy"/>), as the admin last set it: a
/// <see cref="Persistence.ServerSetting"/> row, so that every instance, the sign-up page and the
/// CLI agree at once. <c>Accounts:Signup</c> is only the value until an admin changes it.
/// </summary>
public sealed class SignupSettings(SettingsStore settings, IOptions<AccountOptions> options)
{
    public const string Setting = "Accounts.Signup";

    public async Task<SignupPolicy> GetAsync(CancellationToken ct) =>
        TryParse(await settings.GetAsync(Setting, ct), out var policy) ? policy : options.Value.Signup;

    public Task SetAsync(SignupPolicy policy, CancellationToken ct) => settings.SetAsync(Setting, policy.ToString(), ct);

    /// <summary>"closed", "invite" or "open", in any case; nothing else (no numbers).</summary>
    public static bool TryParse(string? text, out SignupPolicy policy)
    {
        policy = default;
        return text is not null
            && Enum.GetNames<SignupPolicy>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)) is { } name
            && Enum.TryParse(name, out policy);
    }

    /// <summary>The policy in plain words, for pages and the CLI.</summary>
    public static string Describe(SignupPolicy policy) => policy switch
    {
        SignupPolicy.Open => "open: anyone may create an account",
        SignupPolicy.Invite => "by invitation: only people with an invite link may create an account",
        _ => "closed: only an admin creates accounts",
    };
}
