using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;
using UnhostedStore.Pages.Text;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// The account page's usage charts as inline SVG, drawn on the server: no script, and no style
/// attribute (the page CSP, default-src 'self', would block it); colours come from classes in
/// site.css. Each chart is one image to assistive technology (role="img", a title and an
/// aria-label saying everything it shows) and carries its numbers as text too. The viewBox
/// scales it to the width of a phone. Its words and sizes follow the page's language.
/// </summary>
public static class UsageCharts
{
    public const double Width = 400;

    private const double BarHeight = 22;

    private const double LegendRow = 20;

    private const double ModuleRow = 40;

    /// <summary>Rows of the module chart; the smallest of more modules share an "other" row.</summary>
    public const int MaxModuleRows = 8;

    private const int MaxLabelLength = 24;

    /// <summary>Used against the quota (or no limit): documents, then history and trash, then free room.</summary>
    public static IHtmlContent QuotaBar(long documentBytes, long historyBytes, long quotaBytes)
    {
        var used = documentBytes + historyBytes;
        var scale = quotaBytes > 0 ? Math.Max(quotaBytes, used) : used;
        var free = quotaBytes > 0 ? Math.Max(0, quotaBytes - used) : 0;
        string summary = quotaBytes > 0
            ? used > quotaBytes
                ? W("Charts_SummaryOver", Size(used), Size(quotaBytes), Size(documentBytes), Size(historyBytes), Size(used - quotaBytes))
                : W("Charts_SummaryFree", Size(used), Size(quotaBytes), Size(documentBytes), Size(historyBytes), Size(free))
            : W("Charts_SummaryNoLimit", Size(used), Size(documentBytes), Size(historyBytes));

        var legend = new List<(string Class, string Text)>
        {
            ("seg-data", W("Charts_Documents", Size(documentBytes))),
            ("seg-history", W("Charts_History", Size(historyBytes))),
            quotaBytes > 0 ? ("track", used > quotaBytes ? W("Charts_Over", Size(used - quotaBytes)) : W("Charts_Free", Size(free))) : ("track", W("Charts_NoLimit")),
        };
        var height = BarHeight + 10 + (legend.Count * LegendRow);

        var svg = Open("usage-bar", height, summary)
            .Append(Attr(" data-used", documentBytes)).Append(Attr(" data-history", historyBytes)).Append(Attr(" data-quota", quotaBytes)).Append('>')
            .Append("<title>").Append(Encode(summary)).Append("</title>")
            .Append("<defs><clipPath id=\"usage-bar-clip\"><rect x=\"0\" y=\"0\" width=\"").Append(Num(Width)).Append("\" height=\"").Append(Num(BarHeight)).Append("\" rx=\"5\"/></clipPath></defs>")
            .Append("<g clip-path=\"url(#usage-bar-clip)\">")
            .Append(Rect("track", 0, 0, Width, BarHeight));
        var dataWidth = Portion(documentBytes, scale, Width);
        var historyWidth = Portion(historyBytes, scale, Width);
        svg.Append(Rect("seg seg-data", 0, 0, dataWidth, BarHeight, documentBytes))
           .Append(Rect("seg seg-history", dataWidth, 0, historyWidth, BarHeight, historyBytes));
        if (quotaBytes > 0 && used > quotaBytes)
        {
            svg.Append("<line class=\"quota-line\" x1=\"").Append(Num(Portion(quotaBytes, scale, Width))).Append("\" y1=\"0\" x2=\"")
               .Append(Num(Portion(quotaBytes, scale, Width))).Append("\" y2=\"").Append(Num(BarHeight)).Append("\"/>");
        }

        svg.Append("</g>");
        var y = BarHeight + 10;
        foreach (var (cls, text) in legend)
        {
            svg.Append("<g class=\"legend\">")
               .Append(Rect(cls + " key", 0, y + 3, 12, 12))
               .Append(Text(18, y + 14, text, "legend-text"))
               .Append("</g>");
            y += LegendRow;
        }

        return new HtmlString(svg.Append("</svg>").ToString());
    }

    /// <summary>One bar per module, longest first, each as long as its share of the largest, with
    /// its size and its share of all documents.</summary>
    public static IHtmlContent ModuleChart(IReadOnlyList<IndexModel.ModuleRow> modules)
    {
        var rows = Rows(modules);
        var total = modules.Sum(m => m.UsedBytes);
        var largest = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Bytes));
        var described = rows.Select(r => $"{r.Label} {Size(r.Bytes)} ({Share(r.Bytes, total)})");
        string summary = W("Charts_PerModule", string.Join(", ", described));

        var svg = Open("module-chart", Math.Max(1, rows.Count) * ModuleRow, summary).Append('>')
            .Append("<title>").Append(Encode(summary)).Append("</title>");
        var y = 0.0;
        foreach (var row in rows)
        {
            var label = row.Label.Length > MaxLabelLength ? row.Label[..(MaxLabelLength - 1)] + "…" : row.Label;
            svg.Append("<g class=\"module-bar\"").Append(Attr(" data-chart-module", row.Module)).Append(Attr(" data-bytes", row.Bytes)).Append('>')
               .Append(Text(0, y + 14, label, "module-label"))
               .Append(Text(Width, y + 14, $"{Size(row.Bytes)} ({Share(row.Bytes, total)})", "module-size", end: true))
               .Append(Rect("track", 0, y + 20, Width, 12))
               .Append(Rect("seg seg-data", 0, y + 20, Portion(row.Bytes, largest, Width), 12, row.Bytes))
               .Append("</g>");
            y += ModuleRow;
        }

        return new HtmlString(svg.Append("</svg>").ToString());
    }

    /// <summary>The rows drawn: the largest modules, and the rest (if more than fit) as one.</summary>
    public static IReadOnlyList<(string Module, string Label, long Bytes)> Rows(IReadOnlyList<IndexModel.ModuleRow> modules)
    {
        var sorted = modules.OrderByDescending(m => m.UsedBytes).ThenBy(m => m.Module, StringComparer.Ordinal).ToList();
        if (sorted.Count <= MaxModuleRows)
        {
            return sorted.Select(m => (m.Module, m.Label, m.UsedBytes)).ToList();
        }

        var shown = sorted.Take(MaxModuleRows - 1).Select(m => (m.Module, m.Label, m.UsedBytes)).ToList();
        var rest = sorted.Skip(MaxModuleRows - 1).ToList();
        shown.Add(("*other*", W("Charts_OtherModules", Words.Number(rest.Count)), rest.Sum(m => m.UsedBytes)));
        return shown;
    }

    /// <summary>A share in whole percent; "under 1%" rather than a misleading 0%.</summary>
    public static string Share(long part, long total) =>
        total <= 0 ? W("Charts_Percent", 0)
        : part > 0 && part * 100 < total ? W("Charts_UnderOne")
        : W("Charts_Percent", Math.Round(part * 100.0 / total, MidpointRounding.AwayFromZero).ToString("0", CultureInfo.CurrentCulture));

    /// <summary>Length in viewBox units, to 0.01.</summary>
    public static double Portion(long part, long whole, double length) =>
        whole <= 0 ? 0 : Math.Round(Math.Min(part, whole) * length / whole, 2);

    private static StringBuilder Open(string id, double height, string label) =>
        new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"").Append(id)
            .Append("\" viewBox=\"0 0 ").Append(Num(Width)).Append(' ').Append(Num(height))
            .Append("\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"").Append(Encode(label)).Append('"');

    private static string Rect(string cls, double x, double y, double width, double height, long? bytes = null) =>
        $"<rect class=\"{cls}\" x=\"{Num(x)}\" y=\"{Num(y)}\" width=\"{Num(width)}\" height=\"{Num(height)}\"{(bytes is { } b ? Attr(" data-bytes", b) : string.Empty)}/>";

    private static string Text(double x, double y, string text, string cls, bool end = false) =>
        $"<text class=\"{cls}\" x=\"{Num(x)}\" y=\"{Num(y)}\"{(end ? " text-anchor=\"end\"" : string.Empty)}>{Encode(text)}</text>";

    private static string Attr(string name, long value) => name + "=\"" + value.ToString(CultureInfo.InvariantCulture) + "\"";

    private static string Attr(string name, string value) => name + "=\"" + Encode(value) + "\"";

    private static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Size(long bytes) => Words.Size(bytes);

    private static string W(string key, params object[] args) => Words.Of<AccountText>()[key, args];
}
