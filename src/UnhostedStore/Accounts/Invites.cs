using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>
/// One-time sign-up links for <c>Accounts:Signup = Invite</c>, created by an admin (account page
/// or CLI). Only a SHA-256 of the token is stored; a link lasts <see cref="Lifetime"/> and makes
/// exactly one account.
/// </summary>
public sealed class Invites(StorageDbContext db, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    /// <summary>The path (with query) of the sign-up page for an invite token; prefix the account origin.</summary>
    public static string LinkPath(string token) => "/signup?invite=" + Uri.EscapeDataString(token);

    /// <summary>Creates an invite and returns its token (shown once; only its hash is kept).</summary>
    public async Task<string> CreateAsync(string createdBy, CancellationToken ct = default)
    {
        var token = Base64UrlToken(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow().UtcDateTime;
        db.Invites.Add(new Invite
        {
            TokenHash = Hash(token),
            CreatedBy = createdBy,
            CreatedUtc = now,
            ExpiresUtc = now + Lifetime,
        });
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>True while the token belongs to an unexpired, unused invite.</summary>
    public async Task<bool> IsValidAsync(string? token, CancellationToken ct = default)
    {
        if (!LooksLikeToken(token))
        {
            return false;
        }

        var hash = Hash(token!);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Invites.AsNoTracking().AnyAsync(i => i.TokenHash == hash && i.UsedBy == null && i.ExpiresUtc > now, ct);
    }

    /// <summary>
    /// Uses up the invite for <paramref name="userName"/>: one conditional UPDATE, so of two
    /// concurrent sign-ups with one link exactly one gets true.
    /// </summary>
    public async Task<bool> ConsumeAsync(string? token, string userName, CancellationToken ct = default)
    {
        if (!LooksLikeToken(token))
        {
            return false;
        }

        var hash = Hash(token!);
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.Invites
            .Where(i => i.TokenHash == hash && i.UsedBy == null && i.ExpiresUtc > now)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedBy, userName).SetProperty(i => i.UsedUtc, now), ct);
        return updated == 1;
    }

    /// <summary>Gives a consumed invite back when the account could not be created after all.</summary>
    public async Task ReleaseAsync(string token, string userName, CancellationToken ct = default)
    {
        var hash = Hash(token);
        await db.Invites
            .Where(i => i.TokenHash == hash && i.UsedBy == userName)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedBy, (string?)null).SetProperty(i => i.UsedUtc, (DateTime?)null), ct);
    }

    private static bool LooksLikeToken(string? token) => token is { Length: > 0 and <= 128 };

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64UrlToken(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
