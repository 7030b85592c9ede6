using System.Globalization;
using System.Text;

namespace SyncSim;

/// <summary>One Server-Sent Event (WHATWG HTML §9.2.6): its type, data and id; or a comment.</summary>
internal readonly record struct SseEvent(string Type, string Data, string? Id);

/// <summary>
/// Reads an HTTP/1.1 response as it arrives, in pieces of any size: the status line and headers,
/// then the body, de-chunked when <c>Transfer-Encoding: chunked</c> (RFC 9112 §7.1), split into
/// SSE lines and dispatched as events on each blank line. Holds one small line buffer and no
/// other state between reads, so 100,000 of them cost little.
/// </summary>
internal sealed class SseParser
{
    private enum State
    {
        Head,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Raw,
        Done,
    }

    // SSE lines of the body and control lines (head, chunk sizes) are kept apart: an SSE line
    // may span chunks, with a chunk boundary's control lines in the middle of it.
    private byte[] _line = new byte[128];
    private int _lineLength;
    private byte[] _ctl = new byte[64];
    private int _ctlLength;
    private State _state = State.Head;
    private long _chunkLeft;
    private bool _chunked;
    private string? _eventType;
    private StringBuilder? _data;
    private string? _id;

    /// <summary>Called for each complete event (comments have type ":").</summary>
    public Action<SseEvent>? OnEvent { get; set; }

    public int Status { get; private set; }

    public bool HeadDone => _state != State.Head;

    /// <summary>The body ended (the last chunk): the server closed the stream.</summary>
    public bool Ended => _state == State.Done;

    public int? RetryAfterSeconds { get; private set; }

    /// <summary>Starts over for a new connection (the buffer is kept).</summary>
    public void Reset()
    {
        _lineLength = 0;
        _ctlLength = 0;
        _state = State.Head;
        _chunkLeft = 0;
        _chunked = false;
        _eventType = null;
        _data = null;
        _id = null;
        Status = 0;
        RetryAfterSeconds = null;
    }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && _state != State.Done)
        {
            switch (_state)
            {
                case State.Head:
                case State.ChunkSize:
                case State.ChunkDataEnd:
                    {
                        var nl = bytes.IndexOf((byte)'\n');
                        if (nl < 0)
                        {
                            Append(ref _ctl, ref _ctlLength, bytes);
                            return;
                        }

                        Append(ref _ctl, ref _ctlLength, bytes[..nl]);
                        bytes = bytes[(nl + 1)..];
                        var line = TrimCr(_ctl.AsSpan(0, _ctlLength));
                        _ctlLength = 0;
                        ControlLine(line);
                        break;
                    }

                case State.ChunkData:
                    {
                        var take = (int)Math.Min(_chunkLeft, bytes.Length);
                        Body(bytes[..take]);
                        bytes = bytes[take..];
                        _chunkLeft -= take;
                        if (_chunkLeft == 0)
                        {
                            _state = State.ChunkDataEnd;
                        }

                        break;
                    }

                case State.Raw:
                    Body(bytes);
                    return;
            }
        }
    }

    private void ControlLine(ReadOnlySpan<byte> line)
    {
        switch (_state)
        {
            case State.Head when Status == 0:
                // "HTTP/1.1 200 OK"
                var sp = line.IndexOf((byte)' ');
                Status = sp > 0 && line.Length >= sp + 4
                    && int.TryParse(line.Slice(sp + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : -1;
                break;
            case State.Head when line.IsEmpty:
                _state = _chunked ? State.ChunkSize : State.Raw;
                break;
            case State.Head:
                Header(line);
                break;
            case State.ChunkSize:
                var semi = line.IndexOf((byte)';');
                var hex = semi >= 0 ? line[..semi] : line;
                if (!long.TryParse(Encoding.ASCII.GetString(hex).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _chunkLeft))
                {
                    throw new InvalidDataException("bad chunk size");
                }

                _state = _chunkLeft == 0 ? State.Done : State.ChunkData;
                break;
            case State.ChunkDataEnd:
                _state = State.ChunkSize;
                break;
        }
    }

    private void Header(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return;
        }

        var name = Encoding.ASCII.GetString(line[..colon]).Trim();
        var value = Encoding.ASCII.GetString(line[(colon + 1)..]).Trim();
        if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            _chunked = true;
        }
        else if (name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, CultureInfo.InvariantCulture, out var s))
        {
            RetryAfterSeconds = s;
        }
    }

    /// <summary>Body bytes: SSE lines end at LF (a CR before it is dropped).</summary>
    private void Body(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var nl = bytes.IndexOf((byte)'\n');
            if (nl < 0)
            {
                Append(ref _line, ref _lineLength, bytes);
                return;
            }

            ReadOnlySpan<byte> line;
            if (_lineLength == 0)
            {
                line = bytes[..nl];
            }
            else
            {
                Append(ref _line, ref _lineLength, bytes[..nl]);
                line = _line.AsSpan(0, _lineLength);
            }

            SseLine(TrimCr(line));
            _lineLength = 0;
            bytes = bytes[(nl + 1)..];
        }
    }

    private void SseLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            if (_data is not null || _eventType is not null)
            {
                OnEvent?.Invoke(new SseEvent(_eventType ?? "message", _data?.ToString() ?? string.Empty, _id));
            }

            // The caller keeps the last id itself; clearing it here tells a reset that carries no
            // id (which ends the stream) from one that does.
            _eventType = null;
            _data = null;
            _id = null;
            return;
        }

        if (line[0] == (byte)':')
        {
            OnEvent?.Invoke(new SseEvent(":", string.Empty, null));
            return;
        }

        var colon = line.IndexOf((byte)':');
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? ReadOnlySpan<byte>.Empty : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (field.SequenceEqual("data"u8))
        {
            if (_data is null)
            {
                _data = new StringBuilder(Encoding.UTF8.GetString(value));
            }
            else
            {
                _data.Append('\n').Append(Encoding.UTF8.GetString(value));
            }
        }
        else if (field.SequenceEqual("event"u8))
        {
            _eventType = Encoding.UTF8.GetString(value);
        }
        else if (field.SequenceEqual("id"u8))
        {
            _id = Encoding.UTF8.GetString(value);
        }
        else if (field.SequenceEqual("retry"u8))
        {
            OnEvent?.Invoke(new SseEvent("retry", Encoding.UTF8.GetString(value), null));
        }
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            if (length + bytes.Length > 1 << 20)
            {
                throw new InvalidDataException("line longer than 1 MiB");
            }

            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + bytes.Length));
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == (byte)'\r' ? line[..^1] : line;
}
