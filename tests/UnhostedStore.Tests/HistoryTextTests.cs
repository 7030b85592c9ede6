using System.Text;
using UnhostedStore.Pages.Account.History;

namespace UnhostedStore.Tests;

public class HistoryTextTests
{
    private static readonly DateTime Now = new(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("/notes/a.txt", "/notes/a.txt")]
    [InlineData("notes/a.txt", "/notes/a.txt")]
    [InlineData("  /notes/my list.txt ", "/notes/my list.txt")]
    [InlineData("/notes/100%.txt", "/notes/100%.txt")]
    [InlineData("/notes/café.json", "/notes/café.json")]
    public void A_typed_document_path_is_read_as_decoded_text(string typed, string expected)
    {
        Assert.True(HistoryText.TryParsePath(typed, folder: false, out var path, out var error), error);
        Assert.Equal(expected, path!.Value);
    }

    [Theory]
    [InlineData("/notes/", "/notes/")]
    [InlineData("/notes", "/notes/")]
    [InlineData("notes", "/notes/")]
    [InlineData("/", "/")]
    public void A_typed_folder_gets_its_slashes(string typed, string expected)
    {
        Assert.True(HistoryText.TryParsePath(typed, folder: true, out var path, out var error), error);
        Assert.Equal(expected, path!.Value);
    }

    [Theory]
    [InlineData(null, "Type a document's path")]
    [InlineData("  ", "Type a document's path")]
    [InlineData("/notes/", "is a folder")]
    [InlineData("/notes//a", "two / in a row")]
    [InlineData("/notes/../a", "“.” and “..” cannot be names")]
    [InlineData("/notes/a\0b", "NUL")]
    public void A_bad_document_path_is_refused_in_words(string? typed, string words)
    {
        Assert.False(HistoryText.TryParsePath(typed, folder: false, out var path, out var error));
        Assert.Null(path);
        Assert.Contains(words, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_too_long_is_refused()
    {
        Assert.False(HistoryText.TryParsePath("/" + new string('a', 3000), folder: false, out _, out var error));
        Assert.Equal("That path is too long.", error);
    }

    [Theory]
    [InlineData(0, "just now")]
    [InlineData(-120, "just now")]
    [InlineData(59, "just now")]
    [InlineData(60, "1 minute ago")]
    [InlineData(5 * 60 + 30, "5 minutes ago")]
    [InlineData(3600, "1 hour ago")]
    [InlineData(23 * 3600, "23 hours ago")]
    [InlineData(30 * 3600, "yesterday")]
    [InlineData(3 * 86400, "3 days ago")]
    [InlineData(59 * 86400, "59 days ago")]
    [InlineData(90 * 86400, "3 months ago")]
    public void Ago_says_how_long_ago_in_words(int secondsAgo, string words) =>
        Assert.Equal(words, HistoryText.Ago(Now.AddSeconds(-secondsAgo), Now));

    [Fact]
    public void Exact_and_iso_times_are_utc_and_unambiguous()
    {
        var t = new DateTime(2026, 12, 5, 9, 7, 3, 250, DateTimeKind.Utc);
        Assert.Equal("5 Dec 2026, 09:07:03 UTC", HistoryText.Exact(t));
        Assert.Equal("2026-12-05T09:07:03.250Z", HistoryText.Iso(t));
    }

    [Theory]
    [InlineData("text/plain", true)]
    [InlineData("text/markdown; charset=utf-8", true)]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=UTF-8", true)]
    [InlineData("application/ld+json", true)]
    [InlineData("text/plain; charset=binary", true)]
    [InlineData("application/octet-stream", false)]
    [InlineData("image/png", false)]
    [InlineData("", false)]
    public void Text_and_json_types_can_be_compared(string type, bool comparable) =>
        Assert.Equal(comparable, HistoryText.IsTextType(type));

    [Fact]
    public void Decode_reads_utf8_without_its_mark_and_refuses_broken_utf8()
    {
        Assert.Equal("héllo", HistoryText.Decode([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("héllo")], "text/plain"));
        Assert.Null(HistoryText.Decode([0x68, 0xC3, 0x28], "text/plain"));
        Assert.Null(HistoryText.Decode(Encoding.UTF8.GetBytes("text"), "image/png"));
        Assert.Equal("é", HistoryText.Decode([0xE9], "text/plain; charset=iso-8859-1"));
    }

    [Fact]
    public void Charset_binary_is_text_only_when_its_bytes_are()
    {
        Assert.Equal("a\tb\nc", HistoryText.Decode(Encoding.UTF8.GetBytes("a\tb\nc"), "text/plain; charset=binary"));
        Assert.Null(HistoryText.Decode([0x61, 0x00, 0x62], "text/plain; charset=binary"));
        Assert.Null(HistoryText.Decode([0x89, 0x50, 0x4E, 0x47], "text/plain; charset=\"binary\""));
    }

    [Fact]
    public void Pretty_json_puts_one_member_per_line_and_leaves_other_text_alone()
    {
        Assert.Equal("{\n  \"a\": 1,\n  \"b\": [\n    \"é\"\n  ]\n}", HistoryText.PrettyJson("{\"a\":1,\"b\":[\"é\"]}").Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal("{not json", HistoryText.PrettyJson("{not json"));
    }

    [Fact]
    public void Who_names_the_app_or_says_unknown()
    {
        Assert.Equal("https://notes.example", HistoryText.Who("https://notes.example"));
        Assert.True(HistoryText.IsOrigin("https://notes.example"));
        Assert.False(HistoryText.IsOrigin("account page"));
        Assert.Equal("unknown", HistoryText.Who(null));
    }
}
