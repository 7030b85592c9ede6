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
}

public sealed class StorageOptionsValidator : AbstractValidator<StorageOptions>
{
    public StorageOptionsValidator()
    {
        RuleFor(o => o.MaxDocumentBytes).GreaterThan(0).WithName("Storage:MaxDocumentBytes");
        RuleFor(o => o.InlineMaxBytes).InclusiveBetween(0, 1024 * 1024).WithName("Storage:InlineMaxBytes");
        RuleFor(o => o.ListingCacheBytes).GreaterThanOrEqualTo(0).WithName("Storage:ListingCacheBytes");
        RuleFor(o => o.MaxUrlBytes).InclusiveBetween(256, 60 * 1024).WithName("Storage:MaxUrlBytes");
    }
}
