using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace UnhostedStore.Accounts.Security;

/// <summary>
/// Re-authentication for sensitive actions (OWASP ASVS 4.0.3 V3.7.1): the session's
/// <c>auth_time</c> claim (the time of the last password, passkey or second-factor check, in
/// Unix seconds as in OpenID Connect Core §2) must be younger than <see cref="MaxAge"/>; otherwise
/// the person confirms at <c>/account/reauth</c> with their password or a passkey and comes back.
/// </summary>
public static class RecentLogin
{
    public const string AuthTimeClaim = "auth_time";

    /// <summary>How the person last proved who they are (RFC 8176 values): <c>pwd</c> password only,
    /// <c>mfa</c> password and a second factor, <c>hwk</c> a user-verified passkey,
    /// <c>otp</c> a recovery code of an account without a password.</summary>
    public const string MethodClaim = "amr";

    /// <summary>Set on a password-only session while the server requires a second factor the
    /// person does not have yet (<see cref="TwoFactorEnrolmentGate"/>).</summary>
    public const string MustEnrolClaim = "must_enrol_2fa";

    public const string ReauthPath = "/account/reauth";

    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);

    public static DateTimeOffset? AuthTime(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(AuthTimeClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    public static string Format(DateTimeOffset time) => time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether the signed-in person proved who they are less than <see cref="MaxAge"/>
    /// ago. A session without the claim is not fresh.</summary>
    public static bool IsFresh(HttpContext context)
    {
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        return context.User.Identity?.IsAuthenticated == true
            && AuthTime(context.User) is { } at
            && now - at < MaxAge
            && at - now < TimeSpan.FromMinutes(1);
    }

    /// <summary>Where to confirm, coming back to <paramref name="returnUrl"/> (a local URL) or, by
    /// default, to this page (a GET: the confirmation ends with a redirect).</summary>
    public static string ReauthUrl(HttpRequest request, string? returnUrl = null) =>
        ReauthPath + "?ReturnUrl=" + Uri.EscapeDataString(returnUrl ?? CurrentPage(request));

    public static IActionResult Challenge(HttpContext context, string? returnUrl = null) =>
        new RedirectResult(ReauthUrl(context.Request, returnUrl));

    /// <summary>The page to come back to: the URL itself for a GET; for a form post only the
    /// page's path (what was typed into the form is not kept).</summary>
    public static string CurrentPage(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) ? request.PathBase + request.Path + request.QueryString : (request.PathBase + request.Path).ToString();
}

/// <summary>
/// Every handler of the page (or controller) needs a recent login (<see cref="RecentLogin"/>):
/// otherwise the person is sent to confirm it first. Goes with <c>[Authorize]</c>, which runs
/// before it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequireRecentLoginAttribute : Attribute, IAsyncPageFilter, IAsyncActionFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        if (!RecentLogin.IsFresh(context.HttpContext))
        {
            context.Result = RecentLogin.Challenge(context.HttpContext);
            return;
        }

        await next();
    }

    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        if (!RecentLogin.IsFresh(context.HttpContext))
        {
            context.Result = RecentLogin.Challenge(context.HttpContext);
            return;
        }

        await next();
    }
}
