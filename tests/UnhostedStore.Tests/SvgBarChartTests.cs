using System.Xml.Linq;
using UnhostedStore.Pages.Admin;

namespace UnhostedStore.Tests;

/// <summary>The admin overview's server-drawn chart: well-formed SVG, accessible, to scale, escaped.</summary>
public class SvgBarChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XElement Render(params ChartBar[] bars)
    {
        using var writer = new StringWriter();
        SvgBarChart.Render("chart", "Storage by user", bars).WriteTo(writer, System.Text.Encodings.Web.HtmlEncoder.Default);
        return XElement.Parse(writer.ToString());
    }

    [Fact]
    public void The_chart_is_one_image_whose_label_and_title_say_what_every_bar_shows()
    {
        var svg = Render(new ChartBar("alice", 2048, "2.0 KB"), new ChartBar("bob", 1024, "1.0 KB"));

        Assert.Equal("img", (string?)svg.Attribute("role"));
        Assert.Equal("Storage by user: alice: 2.0 KB; bob: 1.0 KB", (string?)svg.Attribute("aria-label"));
        Assert.Equal("Storage by user", svg.Element(Svg + "title")?.Value);
        var rows = svg.Elements(Svg + "g").ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(["alice", "2.0 KB"], rows[0].Elements(Svg + "text").Select(t => t.Value));
        Assert.Equal("alice: 2.0 KB", rows[0].Element(Svg + "title")?.Value);
    }

    [Fact]
    public void Bars_are_drawn_to_scale_with_the_largest_across_the_whole_width()
    {
        var svg = Render(new ChartBar("a", 1000, "big"), new ChartBar("b", 250, "small"), new ChartBar("c", 0, "none"));

        var widths = svg.Elements(Svg + "g")
            .Select(g => (int)g.Elements(Svg + "rect").Single(r => (string?)r.Attribute("class") == "bar").Attribute("width")!)
            .ToList();
        Assert.Equal([SvgBarChart.Width, SvgBarChart.Width / 4, 0], widths);
        Assert.Equal($"0 0 {SvgBarChart.Width} {3 * SvgBarChart.RowHeight}", (string?)svg.Attribute("viewBox"));
    }

    [Fact]
    public void Labels_are_escaped_and_long_ones_are_shortened_but_kept_whole_in_the_titles()
    {
        var name = "<script>&" + new string('x', 80);
        var svg = Render(new ChartBar(name, 1, "1 byte"));

        var row = svg.Element(Svg + "g")!;
        Assert.Equal(name + ": 1 byte", row.Element(Svg + "title")!.Value);
        var label = row.Elements(Svg + "text").First().Value;
        Assert.EndsWith("…", label, StringComparison.Ordinal);
        Assert.True(label.Length < name.Length);
        Assert.StartsWith("<script>&", label, StringComparison.Ordinal);
    }
}
