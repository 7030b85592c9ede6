using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// While the server requires a second factor and the person logged in with only a password and
/// has none (<see cref="RecentLogin.MustEnrolClaim"/>), every page but the security page (and
/// logging in or out) sends them there first, coming back afterwards: also the OAuth consent page,
/// so no app is allowed on a password alone.
/// </summary>
public sealed class TwoFactorEnrolmentGate : IAsyncPageFilter
{
    public const string SecurityPath = "/account/security";

    private static readonly string[] Open = [SecurityPath, RecentLogin.ReauthPath, "/logout", "/login"];

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var http = context.HttpContext;
        if (http.User.HasClaim(c => c.Type == RecentLogin.MustEnrolClaim)
            && !Open.Any(path => http.Request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase)))
        {
            context.Result = new RedirectResult(SecurityPath + "?ReturnUrl=" + Uri.EscapeDataString(RecentLogin.CurrentPage(http.Request)));
            return;
        }

        await next();
    }
}
