using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;

namespace UnhostedStore.WebFinger;

/// <summary>
/// <c>/.well-known/webfinger</c> (RFC 7033; draft-26 §10, §12.1): one remoteStorage link per user.
/// </summary>
public static class WebFingerEndpoints
{
    public const string Path = "/.well-known/webfinger";

    public const string RemoteStorageRel = "http://tools.ietf.org/id/draft-dejong-remotestorage";

    public const string Version = "draft-dejong-remotestorage-26";

    /// <summary>Live change notifications (spec/changes-extension.md §2): "SSE" when a folder GET
    /// with <c>Accept: text/event-stream</c> opens a change stream, null when not offered.</summary>
    public const string ChangesProperty = "http://remotestorage.io/spec/changes";

    public const string ChangesOverSse = "SSE";

    public static IEndpointConventionBuilder MapWebFinger(this IEndpointRouteBuilder app) =>
        app.MapMethods(Path, ["GET", "HEAD", "OPTIONS"], HandleAsync).WithDisplayName("webfinger");

    public static async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;

        // RFC 7033 §5: any origin may read WebFinger.
        response.Headers.AccessControlAllowOrigin = "*";
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            response.Headers.AccessControlAllowMethods = "GET, HEAD, OPTIONS";
            response.Headers.AccessControlAllowHeaders = "Accept";
            response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        var resources = context.Request.Query["resource"];
        if (resources.Count != 1 || string.IsNullOrEmpty(resources[0]))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "exactly one resource parameter is required");
            return;
        }

        var resource = resources[0]!;
        var user = ParseAcct(resource);
        var services = context.RequestServices;
        var accounts = services.GetRequiredService<IOptions<AccountOptions>>().Value;
        var exists = user is not null && await services.GetRequiredService<UserManager<UserAccount>>().FindByNameAsync(user) is not null;
        if (user is null || (!exists && !accounts.HideUnknownUsers))
        {
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, "unknown resource");
            return;
        }

        var urls = services.GetRequiredService<PublicUrls>();
        var storageRoot = urls.StorageOrigin(context.Request) + "/storage/" + user;
        var accountOrigin = urls.AccountOrigin(context.Request);
        var authorize = accountOrigin + "/oauth/authorize";
        var token = accountOrigin + "/oauth/token";

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("subject", resource);
            json.WriteStartArray("links");
            json.WriteStartObject();
            json.WriteString("href", storageRoot);
            json.WriteString("rel", RemoteStorageRel);
            json.WriteStartObject("properties");
            json.WriteString("http://remotestorage.io/spec/version", Version);
            json.WriteString("http://tools.ietf.org/html/rfc6749#section-4.2", authorize);

            // draft-26 §10: unsupported options are null; ranges are supported for GET.
            json.WriteNull("http://tools.ietf.org/html/rfc6750#section-2.3");
            json.WriteString("http://tools.ietf.org/html/rfc7233", "GET");
            json.WriteNull("http://remotestorage.io/spec/web-authoring");

            // draft-26 §10.1: PKCE, S256 only ([AMBIG] how to list several methods: we have one).
            json.WriteString("http://tools.ietf.org/html/rfc6749#section-3.1", authorize);
            json.WriteString("http://tools.ietf.org/html/rfc6749#section-3.2", token);
            json.WriteString("http://tools.ietf.org/html/rfc7636", "S256");
            if (services.GetRequiredService<IConfiguration>().GetValue("Storage:ChangeStreams:Enabled", true))
            {
                json.WriteString(ChangesProperty, ChangesOverSse);
            }
            else
            {
                json.WriteNull(ChangesProperty);
            }
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/jrd+json";
        response.ContentLength = buffer.WrittenCount;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        }
    }

    /// <summary>
    /// The user of <c>acct:user@host</c> (rs.js sends it unencoded; the query string is
    /// decoded once already). Everything after the last <c>@</c> is the host, port included.
    /// Returns null for any other form (e.g. <c>https://host</c>), which has no user here.
    /// </summary>
    public static string? ParseAcct(string resource)
    {
        if (!resource.StartsWith("acct:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = resource.AsSpan(5);
        var at = rest.LastIndexOf('@');
        if (at <= 0 || at == rest.Length - 1)
        {
            return null;
        }

        var user = rest[..at].ToString();
        return UserName.IsValidAccountName(user) ? user : null;
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
