using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using UnhostedStore.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace UnhostedStore.Authorization;

/// <summary>
/// Rechecks, in bulk, tokens that were valid when a long-lived request began (a change stream):
/// the same conditions as OpenIddict's token and authorization entry validation — the token row
/// exists, is <c>valid</c> and unexpired, and its grant is <c>valid</c> — a query per
/// <see cref="Chunk"/> tokens instead of a validation per token.
/// </summary>
public sealed class GrantValidity(IServiceScopeFactory scopes, TimeProvider clock)
{
    public const int Chunk = 500;

    /// <summary>Those of <paramref name="tokenIds"/> that are still valid.</summary>
    public async Task<HashSet<string>> StillValidAsync(IReadOnlyCollection<string> tokenIds, CancellationToken ct)
    {
        var valid = new HashSet<string>(StringComparer.Ordinal);
        if (tokenIds.Count == 0)
        {
            return valid;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        foreach (var chunk in tokenIds.Chunk(Chunk))
        {
            var ids = chunk.ToList();
            var found = await db.Set<OpenIddictEntityFrameworkCoreToken>().AsNoTracking()
                .Where(t => ids.Contains(t.Id!)
                    && t.Status == Statuses.Valid
                    && (t.ExpirationDate == null || t.ExpirationDate > now)
                    && (t.Authorization == null || t.Authorization.Status == Statuses.Valid))
                .Select(t => t.Id!)
                .ToListAsync(ct);
            valid.UnionWith(found);
        }

        return valid;
    }
}
