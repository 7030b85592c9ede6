using FluentValidation;

namespace UnhostedStore.Origins;

/// <summary>
/// Configuration section <c>Hosting</c>: how the server is reached from outside.
/// </summary>
public sealed class HostingOptions
{
    public const string Section = "Hosting";

    /// <summary><c>Hosting:PublicOrigin</c>: the scheme, host and port clients use, e.g.
    /// <c>https://storage.example.org</c>. When unset, the request's own (forwarded) origin is used.</summary>
    public string? PublicOrigin { get; set; }

    /// <summary><c>Hosting:StorageHost</c>: host name (and port) that serves storage only.</summary>
    public string? StorageHost { get; set; }

    /// <summary><c>Hosting:AccountHost</c>: host name (and port) that serves the login, consent and
    /// account pages only (draft-26 §14: keep them off the storage origin).</summary>
    public string? AccountHost { get; set; }

    /// <summary><c>Hosting:KnownProxies</c>: IP addresses of reverse proxies whose
    /// X-Forwarded-For/-Proto/-Host headers are trusted.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary><c>Hosting:ShutdownTimeoutSeconds</c>: on SIGTERM, how long requests in flight
    /// may take to finish before they are cut off.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary><c>Hosting:AllowPrivateMoveIn</c>: let a move-in fetch from private addresses
    /// (10/8, 172.16/12, 192.168/16, link-local, fc00::/7 …). Off by default, so a person cannot
    /// make the server read from the operator's internal network; loopback is always allowed.</summary>
    public bool AllowPrivateMoveIn { get; set; }

    public bool SplitHosts => !string.IsNullOrWhiteSpace(StorageHost) && !string.IsNullOrWhiteSpace(AccountHost);
}

public sealed class HostingOptionsValidator : AbstractValidator<HostingOptions>
{
    public HostingOptionsValidator()
    {
        RuleFor(o => o.PublicOrigin)
            .Must(o => o is null || (Uri.TryCreate(o, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) && u.AbsolutePath == "/" && string.IsNullOrEmpty(u.Query)))
            .WithMessage("Hosting:PublicOrigin must be an origin like https://storage.example.org (no path).");
        RuleForEach(o => o.KnownProxies)
            .Must(p => System.Net.IPAddress.TryParse(p, out _))
            .WithMessage("Hosting:KnownProxies must hold IP addresses.");
        RuleFor(o => o.ShutdownTimeoutSeconds).InclusiveBetween(0, 3600).WithName("Hosting:ShutdownTimeoutSeconds");
        RuleFor(o => o)
            .Must(o => string.IsNullOrWhiteSpace(o.StorageHost) == string.IsNullOrWhiteSpace(o.AccountHost))
            .WithMessage("Set both Hosting:StorageHost and Hosting:AccountHost, or neither.");
    }
}
