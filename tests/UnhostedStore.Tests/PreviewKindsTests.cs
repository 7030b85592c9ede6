using UnhostedStore.Previews;

namespace UnhostedStore.Tests;

/// <summary>The preview a stored Content-Type gets, and which types may be shown inline.</summary>
public class PreviewKindsTests
{
    [Theory]
    [InlineData("image/png", PreviewKind.Image)]
    [InlineData("image/png; charset=binary", PreviewKind.Image)]
    [InlineData("IMAGE/JPEG ; charset=binary", PreviewKind.Image)]
    [InlineData("image/jpg", PreviewKind.Image)]
    [InlineData("image/webp", PreviewKind.Image)]
    [InlineData("image/svg+xml", PreviewKind.Download)]
    [InlineData("audio/mpeg", PreviewKind.Audio)]
    [InlineData("audio/mp3; charset=binary", PreviewKind.Audio)]
    [InlineData("audio/x-wav", PreviewKind.Audio)]
    [InlineData("video/mp4", PreviewKind.Video)]
    [InlineData("text/plain; charset=utf-8", PreviewKind.Text)]
    [InlineData("text/html", PreviewKind.Text)]
    [InlineData("text/markdown", PreviewKind.Text)]
    [InlineData("application/xml", PreviewKind.Text)]
    [InlineData("application/json", PreviewKind.Json)]
    [InlineData("application/ld+json; charset=utf-8", PreviewKind.Json)]
    [InlineData("text/json", PreviewKind.Json)]
    [InlineData("application/pdf", PreviewKind.Download)]
    [InlineData("application/octet-stream", PreviewKind.Download)]
    [InlineData("", PreviewKind.Download)]
    [InlineData(null, PreviewKind.Download)]
    [InlineData("image", PreviewKind.Download)]
    [InlineData("image/png/x", PreviewKind.Download)]
    public void A_stored_type_gets_its_preview_by_its_essence(string? contentType, PreviewKind expected)
    {
        Assert.Equal(expected, PreviewKinds.Of(contentType));
    }

    [Theory]
    [InlineData("image/png; charset=binary", "image/png")]
    [InlineData(" Image/PJPEG ", "image/jpeg")]
    [InlineData("audio/wave;codecs=1", "audio/wav")]
    [InlineData("text/plain;charset=\"utf-8\"", "text/plain")]
    [InlineData("not a type", "")]
    public void The_essence_drops_parameters_and_case_and_maps_common_aliases(string contentType, string expected)
    {
        Assert.Equal(expected, PreviewKinds.Essence(contentType));
    }

    [Theory]
    [InlineData("image/png", true)]
    [InlineData("image/png; charset=binary", true)]
    [InlineData("image/gif", true)]
    [InlineData("audio/ogg", true)]
    [InlineData("video/webm", true)]
    [InlineData("text/plain; charset=utf-8", true)]
    [InlineData("application/json", true)]
    [InlineData("text/html", false)]
    [InlineData("text/html; charset=utf-8", false)]
    [InlineData("image/svg+xml", false)]
    [InlineData("application/xhtml+xml", false)]
    [InlineData("text/xml", false)]
    [InlineData("application/javascript", false)]
    [InlineData("text/css", false)]
    [InlineData("application/pdf", false)]
    [InlineData("application/ld+json", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData("", false)]
    public void Only_images_but_svg_audio_video_plain_text_and_json_are_shown_inline(string contentType, bool inert)
    {
        Assert.Equal(inert, PreviewKinds.IsInert(contentType));
    }

    [Theory]
    [InlineData("image/jpeg", true)]
    [InlineData("image/png; charset=binary", true)]
    [InlineData("image/gif", true)]
    [InlineData("image/webp", true)]
    [InlineData("image/bmp", true)]
    [InlineData("image/avif", false)]
    [InlineData("image/svg+xml", false)]
    [InlineData("image/tiff", false)]
    public void Thumbnails_are_made_of_jpeg_png_gif_webp_and_bmp_only(string contentType, bool expected)
    {
        Assert.Equal(expected, PreviewKinds.CanThumbnail(contentType));
    }
}
