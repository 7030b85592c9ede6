using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Admin;

/// <summary>
/// Who reaches <c>/admin/**</c>: every page in this folder needs the <see cref="Policy"/> policy,
/// a logged-in account with the admin flag that is not disabled. Without a session the browser is
/// sent to log in (and comes back); a logged-in person who is not an admin gets 403 and a page
/// that says so, never a redirect to the login form.
/// </summary>
public static class AdminAccess
{
    public const string Policy = "Admin";

    public static IServiceCollection AddAdminPages(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.RequireAuthenticatedUser().AddRequirements(new AdminRequirement()));
        services.AddScoped<IAuthorizationHandler, AdminRequirementHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AdminForbiddenHandler>();
        services.Configure<RazorPagesOptions>(o => o.Conventions.AuthorizeFolder("/Admin", Policy));
        return services;
    }
}

public sealed class AdminRequirement : IAuthorizationRequirement;

/// <summary>Asks the database at every request, so a demotion or a disabling holds at once.</summary>
public sealed class AdminRequirementHandler(StorageDbContext db) : AuthorizationHandler<AdminRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminRequirement requirement)
    {
        if (context.User.Identity is { IsAuthenticated: true, Name: { } name }
            && await db.Users.AsNoTracking().AnyAsync(u => u.UserName == name && u.IsAdmin && u.DisabledUtc == null))
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>
/// The cookie's access-denied path is the login page, which suits no one who is logged in
/// already: a refusal of the admin policy answers 403 (RFC 9110 §15.5.4) with a short page
/// instead. Everything else goes on as ASP.NET Core would.
/// </summary>
public sealed class AdminForbiddenHandler : IAuthorizationMiddlewareResultHandler
{
    /// <summary>The 403 page, in the request's language (request localization runs before
    /// authorization). The texts are written as the views write a resource (IHtmlLocalizer):
    /// as markup of our own, without encoding; none takes an argument.</summary>
    private static string Body()
    {
        var text = AdminWords.Text;
        var title = text["Forbidden_Title"];
        return $"""
            <!DOCTYPE html>
            <html lang="{PageCultures.Current}">
            <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>{title} · UnhostedStore</title><link rel="stylesheet" href="/css/site.css" /></head>
            <body><main id="main"><section class="card" aria-labelledby="forbidden-heading">
            <h1 id="forbidden-heading">{title}</h1>
            <p id="forbidden">{text["Forbidden_Text"]}</p>
            <p class="links"><a href="/account">{text["Forbidden_Back"]}</a></p>
            </section></main></body>
            </html>
            """;
    }

    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && policy.Requirements.OfType<AdminRequirement>().Any())
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.ContentLanguage = PageCultures.Current;
            await context.Response.WriteAsync(Body(), context.RequestAborted);
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
