using Microsoft.Extensions.Options;
using UnhostedStore.Origins;
using UnhostedStore.Storage;
using UnhostedStore.WebFinger;

namespace UnhostedStore.Hosting;

/// <summary>
/// draft-26 §14: apps may upload HTML and script, so the storage origin should serve nothing
/// else. With <c>Hosting:StorageHost</c> and <c>Hosting:AccountHost</c> both set, storage answers
/// only on the storage host and the pages and OAuth only on the account host (WebFinger on both).
/// </summary>
public sealed class HostSplitMiddleware(RequestDelegate next, IOptions<HostingOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var hosting = options.Value;
        if (!hosting.SplitHosts || context.Request.Path.StartsWithSegments(WebFingerEndpoints.Path, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var host = context.Request.Host.Value ?? string.Empty;
        var isStorage = StorageEndpoints.IsStorageRequest(context);
        var expected = isStorage ? hosting.StorageHost! : hosting.AccountHost!;
        if (string.Equals(host, expected, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        if (isStorage)
        {
            Cors.Apply(context);
            StorageResponder.ApplySecurityHeaders(context);
        }

        return Task.CompletedTask;
    }
}
