using FluentValidation;

namespace UnhostedStore.Previews;

/// <summary><c>Previews:*</c>: server-side thumbnails of images, and the limits that keep a
/// crafted image from costing more than a thumbnail is worth.</summary>
public sealed class PreviewOptions
{
    public const string Section = "Previews";

    /// <summary><c>Previews:ThumbnailPixels</c>: the longest side of a thumbnail.</summary>
    public int ThumbnailPixels { get; set; } = 256;

    /// <summary><c>Previews:ThumbnailCacheBytes</c>: disk for thumbnails under
    /// <c>{DataDirectory}/cache/thumbnails</c>; the least recently used go first beyond it.</summary>
    public long ThumbnailCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary><c>Previews:MaxImageBytes</c>: larger images get an icon, not a thumbnail.</summary>
    public long MaxImageBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary><c>Previews:MaxImageSide</c>: images wider or taller than this (as their header
    /// says, read before any pixel is decoded) get an icon.</summary>
    public int MaxImageSide { get; set; } = 12_000;

    /// <summary><c>Previews:MaxImagePixels</c>: width × height above this gets an icon. A decoded
    /// pixel takes 4 bytes, so the default bounds one decode to about 200 MB.</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary><c>Previews:ConcurrentDecodes</c>: images decoded at once; more wait.</summary>
    public int ConcurrentDecodes { get; set; } = 2;

    /// <summary><c>Previews:DecodeTimeoutSeconds</c>: a thumbnail that takes longer (waiting
    /// included) is answered with the icon.</summary>
    public int DecodeTimeoutSeconds { get; set; } = 20;
}

public sealed class PreviewOptionsValidator : AbstractValidator<PreviewOptions>
{
    public PreviewOptionsValidator()
    {
        RuleFor(o => o.ThumbnailPixels).InclusiveBetween(16, 2048).WithName("Previews:ThumbnailPixels");
        RuleFor(o => o.ThumbnailCacheBytes).GreaterThanOrEqualTo(0).WithName("Previews:ThumbnailCacheBytes");
        RuleFor(o => o.MaxImageBytes).GreaterThan(0).WithName("Previews:MaxImageBytes");
        RuleFor(o => o.MaxImageSide).GreaterThan(0).WithName("Previews:MaxImageSide");
        RuleFor(o => o.MaxImagePixels).GreaterThan(0).WithName("Previews:MaxImagePixels");
        RuleFor(o => o.ConcurrentDecodes).InclusiveBetween(1, 64).WithName("Previews:ConcurrentDecodes");
        RuleFor(o => o.DecodeTimeoutSeconds).InclusiveBetween(1, 600).WithName("Previews:DecodeTimeoutSeconds");
    }
}
