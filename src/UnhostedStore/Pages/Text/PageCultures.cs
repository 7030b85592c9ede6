using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace UnhostedStore.Pages.Text;

/// <summary>
/// The languages of the pages: English (the default) and German. The culture comes from the
/// <c>.AspNetCore.Culture</c> cookie that the language switch sets, else from
/// <c>Accept-Language</c> (RFC 9110 §12.5.4); nothing else (no query parameter). The storage API,
/// WebFinger and the OAuth token endpoint are protocol, not pages: they are never localized.
/// </summary>
public static class PageCultures
{
    public const string English = "en";

    public const string German = "de";

    public static readonly IReadOnlyList<string> Supported = [English, German];

    /// <summary>Razor Pages with localized views (<c>IHtmlLocalizer</c>) and data-annotation
    /// messages, whose <c>ErrorMessage</c> is a key of <see cref="AccountText"/>.</summary>
    public static IMvcBuilder AddPageLocalization(this IMvcBuilder mvc)
    {
        var services = mvc.Services;
        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(o =>
        {
            var cultures = Supported.Select(CultureInfo.GetCultureInfo).ToList();
            o.DefaultRequestCulture = new RequestCulture(English);
            o.SupportedCultures = cultures;
            o.SupportedUICultures = cultures;
            o.ApplyCurrentCultureToResponseHeaders = true;
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });
        return mvc.AddViewLocalization()
            .AddDataAnnotationsLocalization(o => o.DataAnnotationLocalizerProvider = (_, factory) => factory.Create(typeof(AccountText)));
    }

    /// <summary>Sets the request's culture for every path but the protocol ones.</summary>
    public static IApplicationBuilder UsePageLocalization(this IApplicationBuilder app) =>
        app.UseWhen(c => !IsProtocol(c.Request.Path), b => b.UseRequestLocalization());

    private static bool IsProtocol(PathString path) =>
        path.StartsWithSegments("/.well-known", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(Authorization.OAuthServices.TokenPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>The language of the page being rendered, for <c>&lt;html lang&gt;</c>.</summary>
    public static string Current => Supported.Contains(CultureInfo.CurrentUICulture.Name) ? CultureInfo.CurrentUICulture.Name : English;

    /// <summary>The value of the culture cookie for <paramref name="culture"/>.</summary>
    public static string CookieValue(string culture) => CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture));
}
