namespace SyncSim;

/// <summary>
/// Matches what subscribers see (a change event, or a document fetched after a poll) with the
/// write that made it: the writer records when it sent the PUT and when its 2xx arrived; a
/// subscriber's arrival time minus those is the delivery latency. An event can arrive before the
/// writer has read its response (the commit fans out while the answer is on its way): it waits
/// here until the acknowledgement, and its latency after the 2xx is then negative.
/// </summary>
internal sealed class Deliveries
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (double SentMs, double AckMs, int WriterInstance)> _acked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(double AtMs, int Instance, bool Measured)>> _early = new(StringComparer.Ordinal);

    /// <summary>Event arrival minus the write's 2xx, all subscribers.</summary>
    public Samples AfterAck { get; } = new();

    /// <summary>Event arrival minus the write's send time.</summary>
    public Samples AfterSend { get; } = new();

    /// <summary>Arrival minus 2xx where subscriber and writer used different instances.</summary>
    public Samples CrossInstance { get; } = new();

    public long Matched { get; private set; }

    public static string Key(string user, string path, string etag) => user + path + "\n" + etag;

    public void Acknowledged(string key, double sentMs, double ackMs, int writerInstance)
    {
        List<(double AtMs, int Instance, bool Measured)>? early;
        lock (_lock)
        {
            _acked[key] = (sentMs, ackMs, writerInstance);
            if (_early.Remove(key, out early))
            {
                Matched += early.Count;
            }
        }

        if (early is not null)
        {
            foreach (var (at, instance, measured) in early)
            {
                if (measured)
                {
                    Record(at, sentMs, ackMs, instance != writerInstance);
                }
            }
        }
    }

    /// <summary>A subscriber on <paramref name="instance"/> saw the version at <paramref name="atMs"/>.</summary>
    public void Arrived(string key, double atMs, int instance, bool measured)
    {
        (double SentMs, double AckMs, int WriterInstance) write;
        lock (_lock)
        {
            if (!_acked.TryGetValue(key, out write))
            {
                if (!_early.TryGetValue(key, out var list))
                {
                    _early[key] = list = [];
                }

                list.Add((atMs, instance, measured));
                return;
            }

            Matched++;
        }

        if (measured)
        {
            Record(atMs, write.SentMs, write.AckMs, instance != write.WriterInstance);
        }
    }

    /// <summary>Versions seen that no acknowledged write made (writes whose answer was lost).</summary>
    public int Unmatched()
    {
        lock (_lock)
        {
            return _early.Values.Sum(l => l.Count);
        }
    }

    private void Record(double at, double sent, double ack, bool cross)
    {
        AfterAck.Add(at - ack);
        AfterSend.Add(at - sent);
        if (cross)
        {
            CrossInstance.Add(at - ack);
        }
    }
}
