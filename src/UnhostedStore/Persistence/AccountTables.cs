namespace UnhostedStore.Persistence;

/// <summary>
/// Bytes and documents one user keeps in one module (<see cref="Storage.StoragePath.Module"/>;
/// <c>""</c> for documents directly under <c>/</c> or <c>/public/</c>). Kept up to date inside
/// every write transaction, under the account row lock, so it always sums to the account totals.
/// </summary>
public sealed class ModuleUsage
{
    public required string Owner { get; set; }

    public required string Module { get; set; }

    public long UsedBytes { get; set; }

    public long DocumentCount { get; set; }
}

/// <summary>When a grant's tokens were last used at storage, to the minute (written in batches).</summary>
public sealed class GrantUsage
{
    public required string AuthorizationId { get; set; }

    public DateTime LastUsedUtc { get; set; }
}

/// <summary>A one-time sign-up link; only the SHA-256 of its token is stored.</summary>
public sealed class Invite
{
    public required string TokenHash { get; set; }

    public required string CreatedBy { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime ExpiresUtc { get; set; }

    public string? UsedBy { get; set; }

    public DateTime? UsedUtc { get; set; }
}
