using FluentValidation;

namespace UnhostedStore.DataFreedom;

/// <summary>Configuration section <c>Import</c>: how large an upload may be, and the limits
/// that stop a zip bomb before anything is unpacked.</summary>
public sealed class ImportOptions
{
    public const string Section = "Import";

    /// <summary><c>Import:MaxUploadBytes</c>: the largest archive <c>/account/import</c> accepts.</summary>
    public long MaxUploadBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary><c>Import:MaxEntries</c>: the most entries (files and directories) an archive may have.</summary>
    public int MaxEntries { get; set; } = 200_000;

    /// <summary><c>Import:MaxEntryRatio</c>: the largest uncompressed/compressed size ratio of one
    /// zip entry (entries under 1 MiB are exempt: tiny files compress unevenly).</summary>
    public int MaxEntryRatio { get; set; } = 200;

    /// <summary><c>Import:MaxTotalRatio</c>: the largest ratio of the whole archive's
    /// uncompressed size to the archive file's size (archives under 1 MiB unpacked are exempt).</summary>
    public int MaxTotalRatio { get; set; } = 100;
}

public sealed class ImportOptionsValidator : AbstractValidator<ImportOptions>
{
    public ImportOptionsValidator()
    {
        RuleFor(o => o.MaxUploadBytes).GreaterThan(0).WithName("Import:MaxUploadBytes");
        RuleFor(o => o.MaxEntries).GreaterThan(0).WithName("Import:MaxEntries");
        RuleFor(o => o.MaxEntryRatio).GreaterThan(1).WithName("Import:MaxEntryRatio");
        RuleFor(o => o.MaxTotalRatio).GreaterThan(1).WithName("Import:MaxTotalRatio");
    }
}
