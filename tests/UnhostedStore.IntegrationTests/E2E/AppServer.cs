using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UnhostedStore.IntegrationTests.E2E;

/// <summary>
/// The unhosted app's own web server: a minimal Kestrel app on 127.0.0.1 (another origin than
/// UnhostedStore, as a real app is). It serves E2E/app/index.html and app.js under one path per
/// remotestorage.js version, with that version's release bundle beside them.
/// </summary>
public sealed class AppServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AppServer(WebApplication app, Uri origin)
    {
        _app = app;
        Origin = origin;
    }

    /// <summary>The app's origin, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public Uri Origin { get; }

    public Uri PageFor(RsJs version) => new(Origin, "/" + version.PathSegment + "/");

    public static async Task<AppServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var appDir = E2EEnvironment.AppDirectory;

        foreach (var version in RsJs.All)
        {
            var prefix = "/" + version.PathSegment;
            app.MapGet(prefix + "/", () => File(Path.Combine(appDir, "index.html"), "text/html; charset=utf-8"));
            app.MapGet(prefix + "/index.html", () => File(Path.Combine(appDir, "index.html"), "text/html; charset=utf-8"));
            app.MapGet(prefix + "/app.js", () => File(Path.Combine(appDir, "app.js"), "text/javascript; charset=utf-8"));
            app.MapGet(prefix + "/remotestorage.js", () => File(version.ReleaseBundle, "text/javascript; charset=utf-8"));
        }

        app.MapGet("/favicon.ico", () => Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AppServer(app, new Uri(new Uri(address).GetLeftPart(UriPartial.Authority)));
    }

    private static IResult File(string path, string contentType) =>
        Results.Bytes(System.IO.File.ReadAllBytes(path), contentType);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
