using FluentValidation;

namespace UnhostedStore.Storage;

/// <summary>Configuration section <c>Storage</c> (its <c>DefaultQuotaBytes</c> belongs to the accounts, <see cref="Accounts.QuotaOptions"/>).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Storage:MaxDocumentBytes</c>: the largest document a PUT may store (413 above it).</summary>
    public long MaxDocumentBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary><c>Storage:MaxUrlBytes</c>: longer request targets on storage routes answer 414.</summary>
    public int MaxUrlBytes { get; set; } = 8192;

    /// <summary><c>Storage:InlineMaxBytes</c>: documents up to this size are kept in the metadata
    /// database instead of the blob store; 0 turns inlining off.</summary>
    public int InlineMaxBytes { get; set; } = 16384;

    /// <summary><c>Storage:ListingCacheBytes</c>: memory for serialized folder listings, reused
    /// while the folder's version is unchanged (<see cref="Storage.FolderListingCache"/>); 0 turns it off.</summary>
    public long ListingCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary><c>Storage:VersionRetentionDays</c>: how long a replaced or deleted document
    /// version is kept so that its owner can restore it (history and trash); 0 keeps none.
    /// Retained bytes count toward the quota; the oldest go first when a write needs the room.</summary>
    public int VersionRetentionDays { get; set; } = 30;

    /// <summary><c>Storage:MaxVersionsPerDocument</c>: retained versions per document at most;
    /// the history job removes older ones beyond it.</summary>
    public int MaxVersionsPerDocument { get; set; } = 20;

    /// <summary><c>Storage:HistoryPurgeIntervalMinutes</c>: how often each instance removes expired
    /// versions and those over <see cref="MaxVersionsPerDocument"/>; 0 turns the job off.</summary>
    public int HistoryPurgeIntervalMinutes { get; set; } = 60;

    /// <summary>Whether replaced and deleted versions are kept.</summary>
    public bool KeepsHistory => VersionRetentionDays > 0;
}

public sealed class StorageOptionsValidator : AbstractValidator<StorageOptions>
{
    public StorageOptionsValidator()
    {
        RuleFor(o => o.MaxDocumentBytes).GreaterThan(0).WithName("Storage:MaxDocumentBytes");
        RuleFor(o => o.InlineMaxBytes).InclusiveBetween(0, 1024 * 1024).WithName("Storage:InlineMaxBytes");
        RuleFor(o => o.ListingCacheBytes).GreaterThanOrEqualTo(0).WithName("Storage:ListingCacheBytes");
        RuleFor(o => o.MaxUrlBytes).InclusiveBetween(256, 60 * 1024).WithName("Storage:MaxUrlBytes");
        RuleFor(o => o.VersionRetentionDays).InclusiveBetween(0, 36_500).WithName("Storage:VersionRetentionDays");
        RuleFor(o => o.MaxVersionsPerDocument).InclusiveBetween(1, 10_000).WithName("Storage:MaxVersionsPerDocument");
        RuleFor(o => o.HistoryPurgeIntervalMinutes).InclusiveBetween(0, 7 * 24 * 60).WithName("Storage:HistoryPurgeIntervalMinutes");
    }
}
