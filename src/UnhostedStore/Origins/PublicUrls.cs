using Microsoft.Extensions.Options;

namespace UnhostedStore.Origins;

/// <summary>
/// The origins clients must use to reach storage and the account pages. Behind a proxy the
/// request's scheme and host are the forwarded ones (see <see cref="HostingOptions.KnownProxies"/>),
/// unless <see cref="HostingOptions.PublicOrigin"/> pins them.
/// </summary>
public sealed class PublicUrls(IOptions<HostingOptions> options)
{
    public string BaseOrigin(HttpRequest request) =>
        options.Value.PublicOrigin is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : request.Scheme + "://" + request.Host.Value;

    public string StorageOrigin(HttpRequest request) =>
        options.Value.SplitHosts ? Scheme(request) + "://" + options.Value.StorageHost : BaseOrigin(request);

    public string AccountOrigin(HttpRequest request) =>
        options.Value.SplitHosts ? Scheme(request) + "://" + options.Value.AccountHost : BaseOrigin(request);

    /// <summary>The account pages' origin as configured (<c>Hosting:PublicOrigin</c>, or the
    /// account host), for links made without a request (the CLI); null when only a request
    /// could tell.</summary>
    public string? ConfiguredAccountOrigin()
    {
        var hosting = options.Value;
        return hosting.SplitHosts
            ? new Uri(hosting.PublicOrigin ?? "https://" + hosting.AccountHost).Scheme + "://" + hosting.AccountHost
            : hosting.PublicOrigin?.TrimEnd('/');
    }

    private string Scheme(HttpRequest request) =>
        options.Value.PublicOrigin is { Length: > 0 } configured ? new Uri(configured).Scheme : request.Scheme;
}
