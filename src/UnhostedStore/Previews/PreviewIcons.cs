using System.Text;

namespace UnhostedStore.Previews;

/// <summary>What a page shows where no thumbnail can be made: a plain picture icon of our own
/// (constant bytes, never a stored document).</summary>
public static class PreviewIcons
{
    public const string ContentType = "image/svg+xml";

    public static readonly byte[] Picture = Encoding.UTF8.GetBytes(
        """<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 24 24" fill="none" stroke="#5b6677" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"><rect x="3" y="4" width="18" height="16" rx="2" fill="#eef2fb"/><circle cx="9" cy="10" r="2"/><path d="M21 17l-5-5-8 8"/></svg>""");
}
