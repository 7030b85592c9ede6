using FluentValidation;

namespace UnhostedStore.DataFreedom;

/// <summary><c>DataFreedom:*</c>: how people take their data out.</summary>
public sealed class DataFreedomOptions
{
    public const string Section = "DataFreedom";

    /// <summary><c>DataFreedom:ExportHoldMinutes</c>: how long an export's hold on the user's
    /// blobs lasts past its last write to the zip. A running export refreshes it well before
    /// then; a crashed one lets it lapse, and the blobs it kept become the sweeper's again.</summary>
    public int ExportHoldMinutes { get; set; } = 10;
}

public sealed class DataFreedomOptionsValidator : AbstractValidator<DataFreedomOptions>
{
    public DataFreedomOptionsValidator()
    {
        RuleFor(o => o.ExportHoldMinutes).InclusiveBetween(1, 24 * 60).WithName("DataFreedom:ExportHoldMinutes");
    }
}
