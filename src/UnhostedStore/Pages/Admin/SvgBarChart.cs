using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace UnhostedStore.Pages.Admin;

/// <summary>One bar: what it is, its size, and the size as people read it.</summary>
public sealed record ChartBar(string Label, long Value, string ValueText);

/// <summary>
/// A horizontal bar chart as inline SVG, drawn on the server: no script, nothing the page's CSP
/// would have to allow (colours come from admin.css by class). Each row has its label and value
/// as text above its bar, so it reads on a narrow phone too. For assistive technology the chart is
/// one image (<c>role="img"</c>, WAI-ARIA 1.2 §5.4) whose <c>aria-label</c> says everything it
/// shows; <c>&lt;title&gt;</c> elements (SVG 2 §5.9) name the chart and each bar for pointer users.
/// </summary>
public static class SvgBarChart
{
    public const int Width = 400;
    public const int RowHeight = 42;

    private const int LabelBaseline = 15;
    private const int BarTop = 21;
    private const int BarHeight = 14;

    /// <summary>About how many characters of label and value fit on one row at the chart's font size.</summary>
    private const int RowCharacters = 52;

    public static IHtmlContent Render(string id, string title, IReadOnlyList<ChartBar> bars)
    {
        var html = HtmlEncoder.Default;
        var max = Math.Max(1, bars.Count == 0 ? 1 : bars.Max(b => b.Value));
        var height = Math.Max(1, bars.Count) * RowHeight;
        var summary = bars.Count == 0 ? "nothing yet" : string.Join("; ", bars.Select(b => b.Label + ": " + b.ValueText));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bar-chart\" id=\"{html.Encode(id)}\" role=\"img\"");
        svg.Append(CultureInfo.InvariantCulture, $" aria-label=\"{html.Encode(title + ": " + summary)}\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{html.Encode(title)}</title>");
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var top = i * RowHeight;
            var length = bar.Value <= 0 ? 0 : Math.Max(2, (int)Math.Round((double)bar.Value / max * Width));
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"bar-row\" data-label=\"{html.Encode(bar.Label)}\" data-value=\"{bar.Value}\">");
            svg.Append(CultureInfo.InvariantCulture, $"<title>{html.Encode(bar.Label + ": " + bar.ValueText)}</title>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"bar-label\" x=\"0\" y=\"{top + LabelBaseline}\">{html.Encode(Shorten(bar.Label, RowCharacters - bar.ValueText.Length - 2))}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"bar-value\" x=\"{Width}\" y=\"{top + LabelBaseline}\" text-anchor=\"end\">{html.Encode(bar.ValueText)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar-track\" x=\"0\" y=\"{top + BarTop}\" width=\"{Width}\" height=\"{BarHeight}\" rx=\"3\" />");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"0\" y=\"{top + BarTop}\" width=\"{length}\" height=\"{BarHeight}\" rx=\"3\" />");
            svg.Append("</g>");
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    /// <summary>A label cut to <paramref name="characters"/> with an ellipsis; the bar's title keeps it whole.</summary>
    public static string Shorten(string label, int characters)
    {
        characters = Math.Max(4, characters);
        return label.Length <= characters ? label : label[..(characters - 1)] + "…";
    }
}
