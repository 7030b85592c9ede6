using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts;

/// <summary>One invite as the admin pages list it. <paramref name="Id"/> is the stored hash: it
/// names the invite in a form without being the link.</summary>
public sealed record InviteRow(string Id, string CreatedBy, DateTime CreatedUtc, DateTime ExpiresUtc, string? UsedBy, DateTime? UsedUtc);

/// <summary>
/// One-time sign-up links for sign-up by invitation (<see cref="SignupPolicy.Invite"/>), created
/// by an admin (admin pages, account page or CLI). Only a SHA-256 of the token is stored; a link
/// lasts <see cref="Lifetime"/> and makes exactly one account, unless an admin revokes it first.
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

    /// <summary>Invites not used yet (newest first), then the <paramref name="usedCount"/> most
    /// recently used.</summary>
    public async Task<IReadOnlyList<InviteRow>> ListAsync(int usedCount, CancellationToken ct)
    {
        var open = await db.Invites.AsNoTracking().Where(i => i.UsedBy == null)
            .OrderByDescending(i => i.CreatedUtc)
            .Select(i => new InviteRow(i.TokenHash, i.CreatedBy, i.CreatedUtc, i.ExpiresUtc, i.UsedBy, i.UsedUtc))
            .ToListAsync(ct);
        var used = await db.Invites.AsNoTracking().Where(i => i.UsedBy != null)
            .OrderByDescending(i => i.UsedUtc)
            .Take(usedCount)
            .Select(i => new InviteRow(i.TokenHash, i.CreatedBy, i.CreatedUtc, i.ExpiresUtc, i.UsedBy, i.UsedUtc))
            .ToListAsync(ct);
        return [.. open, .. used];
    }

    /// <summary>Withdraws an unused invite (expired ones too): its link stops working at once.
    /// False when there is no such unused invite.</summary>
    public async Task<bool> RevokeAsync(string? id, CancellationToken ct) =>
        id is { Length: 64 } && await db.Invites.Where(i => i.TokenHash == id && i.UsedBy == null).ExecuteDeleteAsync(ct) == 1;

    public bool IsExpired(InviteRow invite) => invite.UsedBy is null && invite.ExpiresUtc <= clock.GetUtcNow().UtcDateTime;

    private static bool LooksLikeToken(string? token) => token is { Length: > 0 and <= 128 };

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64UrlToken(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
