using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage.Changes;

/// <summary>
/// One committed change of one document, as the streams send it (spec/changes-extension.md §4).
/// Its SSE frame is built once, on first delivery, and the same bytes go to every stream.
/// </summary>
public sealed class ChangeEvent(long seq, string path, string? etag, string? contentType, bool deleted)
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private byte[]? _frame;

    public long Seq { get; } = seq;

    /// <summary>The document's decoded path inside the user's storage, e.g. <c>/notes/a</c>.</summary>
    public string Path { get; } = path;

    public string? ETag { get; } = etag;

    public string? ContentType { get; } = contentType;

    public bool Deleted { get; } = deleted;

    public static ChangeEvent From(ChangeLogEntry entry) => new(entry.Seq, entry.Path, entry.ETag, entry.ContentType, entry.Deleted);

    /// <summary><c>id: N</c>, <c>event: change</c>, one <c>data:</c> line of JSON (JSON never holds a
    /// raw line break, so one line is always enough; WHATWG HTML §9.2.6).</summary>
    public byte[] Frame => _frame ??= BuildFrame();

    private byte[] BuildFrame()
    {
        var buffer = new ArrayBufferWriter<byte>(128 + (Path.Length * 2));
        buffer.Write(Encoding.ASCII.GetBytes("id: " + Seq.ToString(CultureInfo.InvariantCulture) + "\nevent: change\ndata: "));
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("path", Path);
            if (ETag is null)
            {
                json.WriteNull("etag");
            }
            else
            {
                json.WriteString("etag", ETag);
            }

            if (ContentType is null)
            {
                json.WriteNull("contentType");
            }
            else
            {
                json.WriteString("contentType", ContentType);
            }

            json.WriteBoolean("deleted", Deleted);
            json.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The fixed frames of the stream protocol besides <see cref="ChangeEvent"/>.</summary>
public static class SseFrames
{
    /// <summary>First bytes of every stream: the reconnection delay a browser's EventSource uses.</summary>
    public static readonly byte[] Open = "retry: 3000\n\n"u8.ToArray();

    /// <summary>A comment line: ignored by clients, keeps the connection alive.</summary>
    public static readonly byte[] Heartbeat = ":\n\n"u8.ToArray();

    /// <summary>Changes were lost: the client syncs in full. With <paramref name="id"/> the stream
    /// goes on from there (and a reconnection resumes from it); without, the stream ends.</summary>
    public static byte[] Reset(string reason, long? id) => Encoding.UTF8.GetBytes(
        (id is { } n ? "id: " + n.ToString(CultureInfo.InvariantCulture) + "\n" : string.Empty) + "event: reset\ndata: {\"reason\":\"" + reason + "\"}\n\n");

    /// <summary>The server is going away: reconnect after <paramref name="retryMilliseconds"/>
    /// (spread out, so that a restart is not met by every client at once).</summary>
    public static byte[] Retry(int retryMilliseconds) => Encoding.ASCII.GetBytes("retry: " + retryMilliseconds.ToString(CultureInfo.InvariantCulture) + "\n\n");
}
