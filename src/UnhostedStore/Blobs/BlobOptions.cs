using FluentValidation;

namespace UnhostedStore.Blobs;

public enum BlobProvider
{
    FileSystem,
    S3,
}

/// <summary>Configuration section <c>Blobs</c>: where document bytes live.</summary>
public sealed class BlobOptions
{
    public const string Section = "Blobs";

    /// <summary><c>Blobs:Provider</c>: <c>FileSystem</c> (under DataDirectory/blobs, the default) or <c>S3</c>.</summary>
    public BlobProvider Provider { get; set; } = BlobProvider.FileSystem;

    /// <summary><c>Blobs:OrphanGraceMinutes</c>: blobs no row references are removed by the
    /// sweeper only once they are this old (a write in progress has not committed yet).</summary>
    public int OrphanGraceMinutes { get; set; } = 60;

    /// <summary><c>Blobs:SweepIntervalMinutes</c>: how often the orphan sweeper runs; 0 disables it.</summary>
    public int SweepIntervalMinutes { get; set; } = 60;

    public S3Options S3 { get; set; } = new();
}

/// <summary><c>Blobs:S3:*</c>: an S3-compatible object store (Garage, SeaweedFS, Swift, AWS …).</summary>
public sealed class S3Options
{
    /// <summary><c>Blobs:S3:Endpoint</c>: <c>host:port</c> of the S3 API, e.g. <c>garage:3900</c>.
    /// Requests always use path-style addressing (<c>host/bucket/key</c>): the Minio SDK 7.0.0
    /// has no virtual-hosted mode.</summary>
    public string Endpoint { get; set; } = string.Empty;

    /// <summary><c>Blobs:S3:AccessKey</c>.</summary>
    public string AccessKey { get; set; } = string.Empty;

    /// <summary><c>Blobs:S3:SecretKey</c>.</summary>
    public string SecretKey { get; set; } = string.Empty;

    /// <summary><c>Blobs:S3:Region</c> (default <c>us-east-1</c>; Garage uses <c>garage</c>).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary><c>Blobs:S3:Bucket</c>.</summary>
    public string Bucket { get; set; } = "unhostedstore";

    /// <summary><c>Blobs:S3:UseTls</c>: https to the S3 endpoint.</summary>
    public bool UseTls { get; set; }

    /// <summary><c>Blobs:S3:CreateBucket</c>: create the bucket at start when it is missing.</summary>
    public bool CreateBucket { get; set; } = true;

    /// <summary><c>Blobs:S3:TimeoutSeconds</c>: per S3 request.</summary>
    public int TimeoutSeconds { get; set; } = 30;
}

public sealed class BlobOptionsValidator : AbstractValidator<BlobOptions>
{
    public BlobOptionsValidator()
    {
        RuleFor(o => o.OrphanGraceMinutes).GreaterThanOrEqualTo(1).WithName("Blobs:OrphanGraceMinutes");
        RuleFor(o => o.SweepIntervalMinutes).GreaterThanOrEqualTo(0).WithName("Blobs:SweepIntervalMinutes");
        When(o => o.Provider == BlobProvider.S3, () =>
        {
            RuleFor(o => o.S3.Endpoint).NotEmpty().Must(e => !e.Contains("://", StringComparison.Ordinal))
                .WithMessage("Blobs:S3:Endpoint must be host:port (no scheme; use Blobs:S3:UseTls for https).");
            RuleFor(o => o.S3.AccessKey).NotEmpty().WithName("Blobs:S3:AccessKey");
            RuleFor(o => o.S3.SecretKey).NotEmpty().WithName("Blobs:S3:SecretKey");
            RuleFor(o => o.S3.Bucket).NotEmpty().Length(3, 63).WithName("Blobs:S3:Bucket");
            RuleFor(o => o.S3.Region).NotEmpty().WithName("Blobs:S3:Region");
            RuleFor(o => o.S3.TimeoutSeconds).InclusiveBetween(1, 600).WithName("Blobs:S3:TimeoutSeconds");
        });
    }
}
