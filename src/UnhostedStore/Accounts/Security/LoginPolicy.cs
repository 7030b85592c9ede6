using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// The server's login rules an admin changes at run time: whether every account needs a second
/// factor. Stored as a <see cref="ServerSetting"/> row so that all instances agree at once;
/// <c>Accounts:RequireTwoFactor</c> is only the value until the row exists. Read at each login
/// (no cache), so a change applies to the next login everywhere.
/// </summary>
public sealed class LoginPolicy(StorageDbContext db, UserManager<UserAccount> users, IOptions<AccountOptions> options, TimeProvider clock)
{
    public const string RequireTwoFactorSetting = "Accounts.RequireTwoFactor";

    public async Task<bool> RequireTwoFactorAsync(CancellationToken ct)
    {
        var value = await db.ServerSettings.AsNoTracking()
            .Where(s => s.Name == RequireTwoFactorSetting)
            .Select(s => s.Value)
            .FirstOrDefaultAsync(ct);
        return value is null ? options.Value.RequireTwoFactor : value == "true";
    }

    public async Task SetRequireTwoFactorAsync(bool required, CancellationToken ct)
    {
        var value = required ? "true" : "false";
        var now = clock.GetUtcNow().UtcDateTime;
        if (await UpdateAsync(value, now, ct) > 0)
        {
            return;
        }

        try
        {
            db.ServerSettings.Add(new ServerSetting { Name = RequireTwoFactorSetting, Value = value, UpdatedUtc = now });
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance inserted the row meanwhile: this later change still wins.
            db.ChangeTracker.Clear();
            await UpdateAsync(value, now, ct);
        }
    }

    private Task<int> UpdateAsync(string value, DateTime now, CancellationToken ct) =>
        db.ServerSettings.Where(s => s.Name == RequireTwoFactorSetting)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Value, value).SetProperty(s => s.UpdatedUtc, now), ct);

    /// <summary>Whether <paramref name="user"/> has a second factor: an authenticator app
    /// (TOTP) turned on, or a passkey.</summary>
    public async Task<bool> HasSecondFactorAsync(UserAccount user) =>
        await users.GetTwoFactorEnabledAsync(user) || (await users.GetPasskeysAsync(user)).Count > 0;

    /// <summary>The server requires a second factor and <paramref name="user"/> has none yet: after
    /// a password login they set one up before anything else.</summary>
    public async Task<bool> MustEnrolAsync(UserAccount user, CancellationToken ct) =>
        await RequireTwoFactorAsync(ct) && !await HasSecondFactorAsync(user);
}
