using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Persistence;

namespace UnhostedStore.DataFreedom.Export;

/// <summary><c>GET /account/export.zip[?module=&lt;m&gt;]</c>: the logged-in person's storage as
/// a zip (cookie login, like the account pages; without it the cookie handler sends the browser
/// to the login page). A GET that changes nothing, so it needs no antiforgery token: another
/// site can start the download, but the bytes only ever reach the person's own browser.</summary>
public static partial class ExportEndpoints
{
    public const string ZipPath = "/account/export.zip";

    public static IEndpointRouteBuilder MapDataFreedom(this IEndpointRouteBuilder app)
    {
        app.MapGet(ZipPath, DownloadAsync).RequireAuthorization();
        return app;
    }

    private static async Task DownloadAsync(HttpContext context, AccountExporter exporter, AuditTrail audit, ILoggerFactory loggers)
    {
        var owner = context.User.Identity?.Name ?? throw new InvalidOperationException("not logged in");
        var ct = context.RequestAborted;
        string? module = null;
        if (context.Request.Query.TryGetValue("module", out var values))
        {
            module = values.Count == 1 ? values[0] ?? string.Empty : string.Empty;
            if (module.Length == 0)
            {
                module = null;
            }
            else if (ExportModules.Problem(module) is { } problem)
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, problem);
                return;
            }
        }

        await using var run = await exporter.BeginAsync(owner, module, ct);
        if (run is null)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, $"You have no documents in the module \"{module}\", so there is nothing to export.");
            return;
        }

        await audit.RecordAsync(
            AuditKind.ExportStarted,
            owner,
            AuditActor.Person(context, owner),
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(module is null ? "The whole storage" : $"The module {module}")}: {run.DocumentsTotal} documents, {run.BytesTotal} bytes, on the account page."));
        var response = context.Response;
        response.ContentType = "application/zip";

        // RFC 6266: a download, under a name that says whose and when. No Content-Length: the
        // zip is written as it is read, so its size is known only at its end.
        response.Headers.ContentDisposition = $"attachment; filename=\"{run.FileName}\"";
        response.Headers.CacheControl = "no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await run.WriteAsync(response.Body, progress: null, ct);
        }
        catch (Exception e) when (ct.IsCancellationRequested || e is OperationCanceledException or IOException)
        {
            // The browser went away; nothing to answer.
        }
        catch (Exception e)
        {
            // The status line has gone out: the only honest answer left is to cut the
            // connection, so the download fails instead of ending in a zip that looks whole.
            LogExportFailed(loggers.CreateLogger(typeof(ExportEndpoints)), owner, e);
            context.Abort();
        }
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + Environment.NewLine, context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Export of {Owner} failed mid-stream; the connection was cut")]
    private static partial void LogExportFailed(ILogger logger, string owner, Exception exception);
}
