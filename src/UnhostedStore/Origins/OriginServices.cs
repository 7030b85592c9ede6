using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using UnhostedStore.Configuration;

namespace UnhostedStore.Origins;

public static class OriginServices
{
    /// <summary><c>Hosting:*</c>: the public origin, split hosts and trusted proxies, and
    /// <see cref="PublicUrls"/> built from them.</summary>
    public static IServiceCollection AddPublicUrls(this IServiceCollection services)
    {
        services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section).ValidateWithFluent<HostingOptions, HostingOptionsValidator>();
        services.AddSingleton<PublicUrls>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HostingOptions>>((o, hosting) =>
        {
            // Forwarded scheme and host decide the URLs WebFinger advertises; only trusted
            // proxies (loopback by default, plus Hosting:KnownProxies) may set them.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            foreach (var proxy in hosting.Value.KnownProxies)
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        return services;
    }
}
