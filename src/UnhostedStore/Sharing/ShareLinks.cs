using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Sharing;

/// <summary>A link as <see cref="ShareLinks.FindAsync"/> found it, with whether its owner's
/// account is leaving (asked in the same statement).</summary>
public sealed record FoundShare(ShareLink Link, bool OwnerLeaving);

/// <summary>What creating a link gave: the link and its token (shown once), or why not.</summary>
public sealed record ShareCreation(ShareLink? Link, string? Token, string? Error)
{
    public bool Succeeded => Link is not null;
}

/// <summary>Where a link stands at a moment.</summary>
public enum ShareState
{
    Active,
    Expired,
    Revoked,
}

/// <summary>
/// Share links of one owner: create, list, revoke, and the lookup every request through a link
/// makes. Nothing about a link's validity is cached: each request reads its row, so a
/// revocation holds from the next request on.
/// </summary>
public sealed class ShareLinks(StorageDbContext db, TimeProvider clock)
{
    /// <summary>The lifetimes the pages offer, in days; 0 is until revoked.</summary>
    public static readonly int[] ExpiryChoices = [1, 7, 30, 0];

    /// <summary>Longest lifetime the CLI accepts, in days.</summary>
    public const int MaxExpiryDays = 3650;

    public const int MinPasswordLength = 4;

    public const int MaxPasswordLength = 256;

    private static readonly PasswordHasher<ShareLink> Hasher = new();

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// A new link to <paramref name="typedPath"/> in <paramref name="owner"/>'s own storage
    /// (the owner is always the caller's own account: nobody links into another's storage).
    /// The path must exist now; a name without a trailing <c>/</c> that is a folder is the
    /// folder. <paramref name="expiresInDays"/> 0 or null: until revoked.
    /// </summary>
    public async Task<ShareCreation> CreateAsync(string owner, string? typedPath, int? expiresInDays, string? password, CancellationToken ct)
    {
        if (SharePaths.ParseTyped(typedPath, out var error) is not { } path)
        {
            return new ShareCreation(null, null, error);
        }

        var days = expiresInDays ?? 0;
        if (days is < 0 or > MaxExpiryDays)
        {
            return new ShareCreation(null, null, $"A link lasts between 1 and {MaxExpiryDays} days, or until you revoke it.");
        }

        if (password is { Length: > 0 } && password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            return new ShareCreation(null, null, $"A password has {MinPasswordLength} to {MaxPasswordLength} characters (or leave it empty for none).");
        }

        if (await PendingDeletions.IsDisabledAsync(db, owner, ct))
        {
            return new ShareCreation(null, null, "This account is being deleted: it can't share anything.");
        }

        var existing = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && (n.Path == path.Value || n.Path == path.AsOtherKind().Value))
            .Select(n => n.Path)
            .ToListAsync(ct);
        if (!existing.Contains(path.Value))
        {
            if (path.IsFolder || !existing.Contains(path.AsOtherKind().Value))
            {
                return new ShareCreation(null, null, $"There is nothing at {path.Value} in your storage.");
            }

            path = path.AsOtherKind();
        }

        var token = ShareTokens.New();
        var now = Now;
        var link = new ShareLink
        {
            Id = ShareTokens.NewId(),
            TokenHash = ShareTokens.Hash(token),
            Owner = owner,
            Path = path.Value,
            CreatedUtc = now,
            ExpiresUtc = days == 0 ? null : now.AddDays(days),
        };
        if (password is { Length: > 0 })
        {
            link.PasswordHash = Hasher.HashPassword(link, password);
        }

        db.ShareLinks.Add(link);
        await db.SaveChangesAsync(ct);
        db.Entry(link).State = EntityState.Detached;
        return new ShareCreation(link, token, null);
    }

    /// <summary>Every link of <paramref name="owner"/>, newest first.</summary>
    public Task<List<ShareLink>> ListAsync(string owner, CancellationToken ct) =>
        db.ShareLinks.AsNoTracking().Where(l => l.Owner == owner).OrderByDescending(l => l.CreatedUtc).ToListAsync(ct);

    /// <summary>Revokes <paramref name="owner"/>'s link with this id, or whose URL or token this
    /// is; false when they have no such active link.</summary>
    public async Task<bool> RevokeAsync(string owner, string idOrUrl, CancellationToken ct) =>
        await RevokeLinkAsync(owner, idOrUrl, ct) is not null;

    /// <summary>As <see cref="RevokeAsync"/>, naming the link it revoked (its id and path, for
    /// the audit log: never the URL, which holds the token), or null.</summary>
    public async Task<ShareLink?> RevokeLinkAsync(string owner, string idOrUrl, CancellationToken ct)
    {
        var key = idOrUrl.Trim();
        string? id = ShareTokens.LooksLikeId(key) ? key : null;
        string? hash = null;
        if (id is null)
        {
            var token = SharePaths.ParseTarget(TargetOf(key))?.Token ?? key;
            if (!ShareTokens.LooksLikeToken(token))
            {
                return null;
            }

            hash = ShareTokens.Hash(token);
        }

        var link = await db.ShareLinks.AsNoTracking()
            .FirstOrDefaultAsync(l => l.Owner == owner && l.RevokedUtc == null && (id != null ? l.Id == id : l.TokenHash == hash), ct);
        if (link is null)
        {
            return null;
        }

        // Conditional on still being active: of two revocations at once, one reports it.
        var now = Now;
        var revoked = await db.ShareLinks
            .Where(l => l.Id == link.Id && l.RevokedUtc == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.RevokedUtc, now), ct);
        if (revoked == 0)
        {
            return null;
        }

        link.RevokedUtc = now;
        return link;
    }

    /// <summary>The link whose token this is, or null; one indexed read, never cached.</summary>
    public async Task<FoundShare?> FindAsync(string token, CancellationToken ct)
    {
        if (!ShareTokens.LooksLikeToken(token))
        {
            return null;
        }

        var hash = ShareTokens.Hash(token);

        // A leaving account shares nothing, as its public documents show nothing: asked in the
        // same statement, like the storage's public read.
        var found = await db.ShareLinks.AsNoTracking()
            .Where(l => l.TokenHash == hash)
            .Select(l => new { Link = l, Leaving = db.AccountDeletions.Any(d => d.UserName == l.Owner) })
            .FirstOrDefaultAsync(ct);
        return found is null ? null : new FoundShare(found.Link, found.Leaving);
    }

    /// <summary>Counts one opening of the link's page: a single UPDATE.</summary>
    public Task RecordOpenAsync(string id, CancellationToken ct)
    {
        var now = Now;
        return db.ShareLinks.Where(l => l.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.OpenCount, l => l.OpenCount + 1).SetProperty(l => l.LastOpenedUtc, now), ct);
    }

    public ShareState StateOf(ShareLink link) =>
        link.RevokedUtc is not null ? ShareState.Revoked
        : link.ExpiresUtc is { } expires && expires <= Now ? ShareState.Expired
        : ShareState.Active;

    public static bool VerifyPassword(ShareLink link, string password) =>
        link.PasswordHash is { } hash && password.Length <= MaxPasswordLength
        && Hasher.VerifyHashedPassword(link, hash, password) != PasswordVerificationResult.Failed;

    /// <summary>The path part of a pasted URL, or the text itself.</summary>
    private static string TargetOf(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.AbsolutePath : text;
}
