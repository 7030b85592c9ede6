using System.Globalization;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Shared;

/// <summary>
/// The audit log's words on the pages, in the page's language: a sentence per kind, the
/// categories, who did it and how long ago. <see cref="AuditWords"/> has the same in English for
/// the command line, and stays the authority on which kinds a category holds. The details of an
/// event are stored as they were written, in English, and shown as they are.
/// </summary>
public static class AuditPageWords
{
    private static IStringLocalizer Text => Words.Of<AuditText>();

    public static string Describe(AuditKind kind) => Text["Kind_" + kind] is { ResourceNotFound: false } found ? found : AuditWords.Describe(kind);

    public static string Category(AuditCategory category) => Text["Category_" + category.Code] is { ResourceNotFound: false } found ? found : category.Label;

    /// <summary>Who did it, for <paramref name="viewer"/> (their own actions read "You"), or for an
    /// administrator when <paramref name="viewer"/> is null.</summary>
    public static string Actor(string actor, string? viewer) => actor switch
    {
        AuditActor.CommandLineName => Text["Actor_CommandLine"],
        AuditActor.SystemName => Text["Actor_System"],
        AuditActor.AnonymousName => Text["Actor_Anonymous"],
        _ when AuditActor.AdminName(actor) is { } admin => viewer is not null && admin == viewer ? Text["Actor_YouAsAdmin"] : Text["Actor_Admin", admin],
        _ when viewer is not null && actor == viewer => Text["Actor_You"],
        _ => actor,
    };

    /// <summary>"just now", "5 minutes ago", "3 days ago", … up to years.</summary>
    public static string Ago(DateTime then, DateTime now)
    {
        var span = now - then;
        if (span < TimeSpan.FromMinutes(1))
        {
            return Text["Ago_JustNow"];
        }

        return span switch
        {
            { TotalHours: < 1 } => Count((int)span.TotalMinutes, "Minute"),
            { TotalDays: < 1 } => Count((int)span.TotalHours, "Hour"),
            { TotalDays: < 2 } => Text["Ago_Yesterday"],
            { TotalDays: < 31 } => Count((int)span.TotalDays, "Day"),
            { TotalDays: < 365 } => Count(Math.Max(1, (int)(span.TotalDays / 30.44)), "Month"),
            _ => Count((int)(span.TotalDays / 365.25), "Year"),
        };

        static string Count(int n, string unit) =>
            Text[n == 1 ? "Ago_" + unit + "_One" : "Ago_" + unit + "_Other", n.ToString(CultureInfo.CurrentCulture)];
    }

    /// <summary><see cref="BrowserNames"/>' "Firefox on Linux" in the page's language; the names
    /// themselves are the same in every language, but for the two that are words.</summary>
    public static string Browser(string? userAgent)
    {
        var described = BrowserNames.Describe(userAgent);
        var on = described.IndexOf(" on ", StringComparison.Ordinal);
        var (browser, system) = on < 0 ? (described, null) : (described[..on], described[(on + 4)..]);
        browser = browser switch
        {
            "Unknown browser" => Text["Browser_Unknown"],
            "A web browser" => Text["Browser_Other"],
            _ => browser,
        };
        return system is null ? browser : Text["Browser_On", browser, system];
    }

    /// <summary>The exact time, to the second, in UTC.</summary>
    public static string Exact(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString(Text["ExactFormat"], CultureInfo.CurrentCulture);
}
