using Microsoft.AspNetCore.Html;

namespace UnhostedStore.Pages.Account.History;

/// <summary>Markup the history pages repeat, built with encoding (never raw strings).</summary>
public static class HistoryHtml
{
    /// <summary>"5 minutes ago" in a <c>&lt;time&gt;</c> with the exact moment, and the exact
    /// time beside it (in UTC; the page's script rewrites it in the browser's time zone).</summary>
    public static IHtmlContent When(DateTime utc, DateTime nowUtc)
    {
        var iso = HistoryText.Iso(utc);
        var exact = HistoryText.Exact(utc);
        var html = new HtmlContentBuilder();
        html.AppendHtml("<time datetime=\"").Append(iso).AppendHtml("\" title=\"").Append(exact).AppendHtml("\">")
            .Append(HistoryText.Ago(utc, nowUtc)).AppendHtml("</time> <span class=\"exact\" data-utc=\"").Append(iso).AppendHtml("\">(")
            .Append(exact).AppendHtml(")</span>");
        return html;
    }

    /// <summary>The exact time alone (UTC; the page's script rewrites it in the browser's time zone).</summary>
    public static IHtmlContent Exact(DateTime utc) =>
        new HtmlContentBuilder().AppendHtml("<span class=\"local-time\" data-utc=\"").Append(HistoryText.Iso(utc)).AppendHtml("\">")
            .Append(HistoryText.Exact(utc)).AppendHtml("</span>");

    /// <summary>Who made a change: an app's origin set as an address, or a label in words.</summary>
    public static IHtmlContent Who(string? by)
    {
        var html = new HtmlContentBuilder();
        return HistoryText.IsOrigin(by)
            ? html.AppendHtml("<span class=\"origin app\">").Append(by!).AppendHtml("</span>")
            : html.AppendHtml("<span class=\"app\">").Append(HistoryText.Who(by)).AppendHtml("</span>");
    }
}
