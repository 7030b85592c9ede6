using Microsoft.AspNetCore.Http.Features;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.Sharing;

/// <summary>What a request through a share URL may see.</summary>
public abstract record ShareResolution
{
    private ShareResolution()
    {
    }

    /// <summary>404: no link has this token (the miss was counted).</summary>
    public sealed record Unknown : ShareResolution;

    /// <summary>429: this IP named too many unknown links.</summary>
    public sealed record TooManyMisses(TimeSpan RetryAfter) : ShareResolution;

    /// <summary>410: the link was revoked or has expired.</summary>
    public sealed record Gone(ShareState State) : ShareResolution;

    /// <summary>404: the owner's account is leaving; nothing is shared meanwhile.</summary>
    public sealed record OwnerLeaving : ShareResolution;

    /// <summary>The sub-path is not one the link can name (400).</summary>
    public sealed record BadPath(string Reason) : ShareResolution;

    /// <summary>The link has a password and this browser has not given it.</summary>
    public sealed record PasswordNeeded(ShareLink Link, string Token) : ShareResolution;

    /// <summary>The request may see <paramref name="Path"/> (the root or something below it).</summary>
    public sealed record Granted(ShareLink Link, string Token, StoragePath Root, StoragePath Path) : ShareResolution;
}

/// <summary>
/// The one gate of every request through a share URL: reads the token and sub-path from the raw
/// request target, looks the link up (each time: a revocation holds at the next request),
/// counts misses against the client IP, and checks expiry, revocation, the owner's account and
/// the password cookie.
/// </summary>
public sealed class ShareAccess(ShareLinks links, ShareLimits limits, SharePasswordCookies cookies, TimeProvider clock)
{
    public async Task<ShareResolution> ResolveAsync(HttpContext context, CancellationToken ct)
    {
        var target = SharePaths.ParseTarget(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value);
        var found = target is null ? null : await links.FindAsync(target.Token, ct);
        if (found is null)
        {
            // Asked only after the lookup failed: a valid link is never refused for others' misses.
            if (limits.Misses.Check(context) is { } wait)
            {
                return new ShareResolution.TooManyMisses(wait);
            }

            limits.Misses.Record(context);
            return new ShareResolution.Unknown();
        }

        var link = found.Link;
        if (link.RevokedUtc is not null)
        {
            return new ShareResolution.Gone(ShareState.Revoked);
        }

        if (link.ExpiresUtc is { } expires && expires <= clock.GetUtcNow().UtcDateTime)
        {
            return new ShareResolution.Gone(ShareState.Expired);
        }

        if (found.OwnerLeaving)
        {
            return new ShareResolution.OwnerLeaving();
        }

        var root = StoragePath.FromStored(link.Path);
        if (SharePaths.Resolve(root, target!.EncodedRest, out var error) is not { } path)
        {
            return new ShareResolution.BadPath(error!);
        }

        if (link.PasswordHash is not null && !cookies.Holds(context, link))
        {
            return new ShareResolution.PasswordNeeded(link, target.Token);
        }

        return new ShareResolution.Granted(link, target.Token, root, path);
    }
}
