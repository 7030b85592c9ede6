namespace SyncSim;

/// <summary>How a PUT ended, as the client saw it.</summary>
internal enum WriteOutcome
{
    /// <summary>2xx: the server says it is stored, with this ETag.</summary>
    Acked,

    /// <summary>A definite refusal that stores nothing (412, 4xx).</summary>
    Refused,

    /// <summary>5xx, a connection error or a timeout: the client can't know whether it was stored.</summary>
    Uncertain,
}

/// <summary>What a later read showed about an uncertain write.</summary>
internal enum Resolution
{
    Unresolved,

    /// <summary>The stored version is this write's bytes, whole.</summary>
    StoredInFull,

    /// <summary>The stored version is what was there before it.</summary>
    NotStored,

    /// <summary>Neither: partial or foreign bytes (a violation).</summary>
    Mismatch,

    /// <summary>Overwritten by a later write before anyone looked: can't be told.</summary>
    Superseded,
}

internal sealed class WriteAttempt
{
    public required string Path { get; init; }

    public required string Hash { get; init; }

    public required long SentUnixMs { get; init; }

    public WriteOutcome Outcome { get; set; }

    /// <summary>"503", "500", "connection-refused", "timeout"…; empty when acknowledged.</summary>
    public string Kind { get; set; } = string.Empty;

    public string? ETag { get; set; }

    public Resolution Resolution { get; set; }
}

/// <summary>What the final read-back found for one path.</summary>
internal enum Verdict
{
    /// <summary>The latest acknowledged write is stored.</summary>
    Latest,

    /// <summary>A later, unacknowledged write is stored in full (allowed).</summary>
    LaterUnacknowledged,

    /// <summary>An older version, or nothing, although a later write was acknowledged: a lost write.</summary>
    Lost,

    /// <summary>Bytes no write sent.</summary>
    Foreign,

    /// <summary>Nothing was ever acknowledged and nothing (or a sent version) is stored.</summary>
    NothingAcknowledged,
}

/// <summary>
/// Every PUT the writers sent, per path in the order sent (one writer per path, one write in
/// flight at a time), and the checks run on it: when a later read shows what is stored, each
/// uncertain write is resolved; at the end the stored version must be the latest acknowledged
/// write or a later one.
/// </summary>
internal sealed class WriteLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<WriteAttempt>> _byPath = new(StringComparer.Ordinal);

    public void Add(WriteAttempt attempt)
    {
        lock (_lock)
        {
            if (!_byPath.TryGetValue(attempt.Path, out var list))
            {
                _byPath[attempt.Path] = list = [];
            }

            list.Add(attempt);
        }
    }

    public IReadOnlyList<string> Paths()
    {
        lock (_lock)
        {
            return [.. _byPath.Keys];
        }
    }

    public IReadOnlyList<WriteAttempt> Attempts(string path)
    {
        lock (_lock)
        {
            return _byPath.TryGetValue(path, out var list) ? [.. list] : [];
        }
    }

    public IReadOnlyList<WriteAttempt> All()
    {
        lock (_lock)
        {
            return [.. _byPath.Values.SelectMany(l => l)];
        }
    }

    /// <summary>
    /// A read of <paramref name="path"/> showed <paramref name="storedHash"/> (null: no document).
    /// Resolves the uncertain writes since the last acknowledged one: the newest whose bytes are
    /// stored was stored in full, those before it were overwritten by it (superseded) and those
    /// after it not stored; when none matches, all are not stored if the stored version is the
    /// one before them, and a mismatch otherwise.
    /// </summary>
    public void Observe(string path, string? storedHash)
    {
        lock (_lock)
        {
            if (!_byPath.TryGetValue(path, out var list))
            {
                return;
            }

            Resolve(list, storedHash);
        }
    }

    public static void Resolve(IReadOnlyList<WriteAttempt> list, string? storedHash)
    {
        var lastAck = -1;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i].Outcome == WriteOutcome.Acked)
            {
                lastAck = i;
                break;
            }
        }

        var open = new List<WriteAttempt>();
        var firstOpen = -1;
        for (var i = lastAck + 1; i < list.Count; i++)
        {
            if (list[i].Outcome == WriteOutcome.Uncertain && list[i].Resolution == Resolution.Unresolved)
            {
                firstOpen = firstOpen < 0 ? i : firstOpen;
                open.Add(list[i]);
            }
        }

        if (open.Count == 0)
        {
            return;
        }

        var stored = open.FindLastIndex(a => a.Hash == storedHash);
        if (stored >= 0)
        {
            for (var i = 0; i < open.Count; i++)
            {
                open[i].Resolution = i < stored ? Resolution.Superseded : i == stored ? Resolution.StoredInFull : Resolution.NotStored;
            }

            return;
        }

        var before = PreviousHash(list, firstOpen);
        var verdict = storedHash == before ? Resolution.NotStored : Resolution.Mismatch;
        foreach (var a in open)
        {
            a.Resolution = verdict;
        }
    }

    /// <summary>The hash of the version stored before attempt <paramref name="index"/>: the last
    /// acknowledged or stored-in-full write before it, or null (no document).</summary>
    private static string? PreviousHash(IReadOnlyList<WriteAttempt> list, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (list[i].Outcome == WriteOutcome.Acked || list[i].Resolution == Resolution.StoredInFull)
            {
                return list[i].Hash;
            }
        }

        return null;
    }

    /// <summary>The final check of one path against what is stored (null: no document).</summary>
    public static Verdict Judge(IReadOnlyList<WriteAttempt> list, string? storedHash)
    {
        var lastAck = -1;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i].Outcome == WriteOutcome.Acked)
            {
                lastAck = i;
                break;
            }
        }

        for (var i = list.Count - 1; i > lastAck; i--)
        {
            if (list[i].Outcome == WriteOutcome.Uncertain && list[i].Hash == storedHash)
            {
                return Verdict.LaterUnacknowledged;
            }
        }

        if (lastAck < 0)
        {
            return storedHash is null || list.Any(a => a.Hash == storedHash) ? Verdict.NothingAcknowledged : Verdict.Foreign;
        }

        if (list[lastAck].Hash == storedHash)
        {
            return Verdict.Latest;
        }

        return storedHash is null || list.Any(a => a.Hash == storedHash) ? Verdict.Lost : Verdict.Foreign;
    }
}
