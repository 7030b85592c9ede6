using System.Text;
using UnhostedStore.Storage.Changes;

namespace UnhostedStore.Tests;

/// <summary>The change stream's wire format (spec/changes-extension.md §4) and the notification payload.</summary>
public class ChangeFramesTests
{
    [Fact]
    public void A_change_is_an_id_an_event_name_and_one_line_of_json()
    {
        var frame = Encoding.UTF8.GetString(new ChangeEvent(42, "/notes/a \"b\"\nc/é", "abc", "text/plain; charset=utf-8", false).Frame);
        Assert.Equal(
            "id: 42\nevent: change\ndata: {\"path\":\"/notes/a \\\"b\\\"\\nc/é\",\"etag\":\"abc\",\"contentType\":\"text/plain; charset=utf-8\",\"deleted\":false}\n\n",
            frame);
    }

    [Fact]
    public void A_deletion_has_null_etag_and_content_type()
    {
        var frame = Encoding.UTF8.GetString(new ChangeEvent(7, "/notes/a", null, null, true).Frame);
        Assert.Equal("id: 7\nevent: change\ndata: {\"path\":\"/notes/a\",\"etag\":null,\"contentType\":null,\"deleted\":true}\n\n", frame);
    }

    [Fact]
    public void A_reset_carries_its_id_only_when_the_stream_goes_on()
    {
        Assert.Equal("id: 9\nevent: reset\ndata: {\"reason\":\"expired\"}\n\n", Encoding.UTF8.GetString(SseFrames.Reset("expired", 9)));
        Assert.Equal("event: reset\ndata: {\"reason\":\"overflow\"}\n\n", Encoding.UTF8.GetString(SseFrames.Reset("overflow", null)));
    }

    [Theory]
    [InlineData("12:alice", "alice", 12L)]
    [InlineData("1:a:b", "a:b", 1L)]
    public void Notification_payloads_are_the_last_sequence_number_and_the_user(string payload, string owner, long seq)
    {
        Assert.True(ChangeNotifications.TryParse(payload, out var o, out var s));
        Assert.Equal(owner, o);
        Assert.Equal(seq, s);
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData(":alice")]
    [InlineData("12:")]
    [InlineData("-1:alice")]
    [InlineData("x:alice")]
    public void Malformed_notification_payloads_are_ignored(string payload) =>
        Assert.False(ChangeNotifications.TryParse(payload, out _, out _));
}
