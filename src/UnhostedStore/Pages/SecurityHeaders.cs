using UnhostedStore.Authorization;

namespace UnhostedStore.Pages;

/// <summary>
/// Security headers on every response outside <c>/storage/</c> (login, consent, account, signup,
/// setup and error pages, OAuth and WebFinger answers): a CSP that allows only our own resources
/// and no framing, no referrer, no MIME sniffing.
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public const string ReferrerPolicy = "no-referrer";

    private const string FormActionKey = "UnhostedStore.FormActionOrigin";

    private const string SandboxKey = "UnhostedStore.Sandbox";

    /// <summary>The page CSP. <c>form-action</c> also covers redirects after a form is sent, so a
    /// page whose form ends at an app (consent, and login on the way to consent) names that app's
    /// origin.</summary>
    public static string ContentSecurityPolicy(string? formActionOrigin) =>
        "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"
        + (formActionOrigin is null ? string.Empty : " " + formActionOrigin);

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/storage", StringComparison.Ordinal))
        {
            context.Response.OnStarting(static state =>
            {
                var ctx = (HttpContext)state;
                var headers = ctx.Response.Headers;
                // A response that set its own policy keeps it: document bytes served outside
                // /storage/ (share links) carry the storage's sandbox instead of the page policy.
                if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy(ctx.Items[FormActionKey] as string)
                        + (ctx.Items.ContainsKey(SandboxKey) ? "; sandbox" : string.Empty);
                }

                headers["Referrer-Policy"] = ReferrerPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                return Task.CompletedTask;
            }, context);
        }

        return next(context);
    }

    /// <summary>Lets this page's forms end at <paramref name="redirectUri"/>'s origin (an app's
    /// redirect_uri, already checked by OpenIddict or by us).</summary>
    public static void AllowFormActionTo(HttpContext context, string? redirectUri)
    {
        // CSP host sources can't name IPv6 literals; such apps are simply not given one.
        if (ClientOrigin.TryParseRedirectUri(redirectUri, out var origin, out _) && !origin!.Value.Contains('[', StringComparison.Ordinal))
        {
            context.Items[FormActionKey] = origin.Value;
        }
    }

    /// <summary>Adds <c>sandbox</c> to this response's CSP (CSP3 §6.3.2): a document served
    /// from our origin (a download of the owner's stored bytes) runs, if a browser renders it
    /// at all, in a unique origin without scripts, never as one of our pages.</summary>
    public static void Sandbox(HttpContext context) => context.Items[SandboxKey] = true;
}
