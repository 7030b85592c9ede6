using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Pages.Text;

namespace UnhostedStore.Pages;

/// <summary>
/// The language switch in the page footer: <c>POST /culture</c> with <c>culture</c> (en or de)
/// and <c>returnUrl</c>, plus the antiforgery token (Razor Pages check it on every POST). It sets
/// the standard culture cookie, which request localization reads before <c>Accept-Language</c>,
/// and goes back to the page it came from; only a local return address is followed.
/// </summary>
public sealed class CultureModel : PageModel
{
    public IActionResult OnGet() => NotFound();

    public IActionResult OnPost([FromForm] string? culture, [FromForm] string? returnUrl)
    {
        if (culture is null || !PageCultures.Supported.Contains(culture))
        {
            return BadRequest();
        }

        Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName, PageCultures.CookieValue(culture), new CookieOptions
        {
            Path = "/",
            MaxAge = TimeSpan.FromDays(365),
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = Request.IsHttps,
        });
        return LocalRedirect(IsSafeLocal(returnUrl) ? returnUrl! : "/");
    }

    /// <summary>A path on this site: one leading slash (not <c>//host</c> or <c>/\host</c>),
    /// no scheme, no control characters.</summary>
    public static bool IsSafeLocal(string? url) =>
        !string.IsNullOrEmpty(url)
        && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(char.IsControl);
}
