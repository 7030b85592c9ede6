namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>Reading answers of a server we do not trust: capped, and errors in plain words.</summary>
internal static class Limits
{
    /// <summary>The body, or null when it is longer than <paramref name="max"/> bytes; never
    /// reads more than that, whatever Content-Length says.</summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpContent content, int max, CancellationToken ct)
    {
        if (content.Headers.ContentLength > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The reason of a failed request, with the address check's message when that was it.</summary>
    public static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is MoveInRefusedException refused)
            {
                return refused.Message;
            }
        }

        return e.InnerException?.Message ?? e.Message;
    }
}
