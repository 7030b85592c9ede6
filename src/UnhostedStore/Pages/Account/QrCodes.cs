using System.Net;
using QRCoder;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// QR codes as inline SVG: a rectangle and one path, sized by its viewBox and the page's CSS.
/// No style attribute and no data: URL, so the page CSP (default-src 'self') needs no exception.
/// </summary>
public static class QrCodes
{
    public static string Svg(string text, string label)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(data).GetGraphic(1, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.ViewBoxAttribute);
        return svg.Replace("<svg ", $"<svg class=\"qr\" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(label)}\" ", StringComparison.Ordinal);
    }
}
