namespace UnhostedStore.Persistence;

/// <summary>
/// A link that shares one document, or one folder and everything below it, read-only with anyone
/// who has the URL. The URL's secret is never stored: only its SHA-256 (<see cref="TokenHash"/>),
/// so a copy of the database opens no link. A revoked link keeps its row (it then answers 410,
/// not 404, and stays in its owner's list) until the account is erased.
/// </summary>
public sealed class ShareLink
{
    /// <summary>A short public handle (64 random bits as hex) that names the link in the owner's
    /// list and the CLI; it opens nothing.</summary>
    public required string Id { get; set; }

    /// <summary>Lower-case hex SHA-256 of the URL's token.</summary>
    public required string TokenHash { get; set; }

    public required string Owner { get; set; }

    /// <summary>The shared path in the owner's storage, as stored (decoded); a folder's ends in <c>/</c>.</summary>
    public required string Path { get; set; }

    public DateTime CreatedUtc { get; set; }

    /// <summary>Null: until revoked.</summary>
    public DateTime? ExpiresUtc { get; set; }

    public DateTime? RevokedUtc { get; set; }

    /// <summary>ASP.NET Core Identity's PBKDF2 hash of the link's password, or null for none.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>Page views through the link (not each byte range a player fetches).</summary>
    public long OpenCount { get; set; }

    public DateTime? LastOpenedUtc { get; set; }
}
