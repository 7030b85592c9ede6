using FluentValidation;

namespace UnhostedStore.Storage.Changes;

/// <summary>The change streams' settings, in the <c>Storage</c> section beside
/// <see cref="StorageOptions"/>: <c>Storage:ChangeLogRetention:*</c> and <c>Storage:ChangeStreams:*</c>.</summary>
public sealed class ChangeOptions
{
    public ChangeLogRetentionOptions ChangeLogRetention { get; set; } = new();

    public ChangeStreamOptions ChangeStreams { get; set; } = new();
}

/// <summary><c>Storage:ChangeLogRetention</c>: how long the change log keeps entries, which is how
/// far back a client can resume; a client further behind is told to sync in full.</summary>
public sealed class ChangeLogRetentionOptions
{
    /// <summary>Entries older than this many days are purged; 0 keeps them regardless of age.</summary>
    public int Days { get; set; } = 7;

    /// <summary>Per user, only the newest this many entries are kept; 0 keeps any number.</summary>
    public int MaxEntriesPerUser { get; set; } = 10_000;

    /// <summary>How often each instance purges; 0 turns the job off.</summary>
    public int PurgeIntervalMinutes { get; set; } = 10;
}

/// <summary><c>Storage:ChangeStreams</c>: the limits of the live change streams.</summary>
public sealed class ChangeStreamOptions
{
    /// <summary>Off: a folder GET asking for <c>text/event-stream</c> gets the plain listing, and
    /// WebFinger does not announce the streams.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Open streams per user on one instance at most (tabs × apps × folders).</summary>
    public int MaxPerUser { get; set; } = 32;

    /// <summary>Open streams per client IP address on one instance at most.</summary>
    public int MaxPerIp { get; set; } = 128;

    /// <summary>Events waiting for one stream's connection at most; a stream that falls this far
    /// behind is told to sync in full and closed, so it never holds up anyone else.</summary>
    public int QueueLength { get; set; } = 256;

    /// <summary>An SSE comment is sent this often on every stream, so that proxies and NATs keep
    /// idle connections open and dead ones are noticed.</summary>
    public int HeartbeatSeconds { get; set; } = 25;

    /// <summary>Events one resume replays from the log at most; further behind gets <c>reset</c>.</summary>
    public int MaxReplay { get; set; } = 1000;
}

public sealed class ChangeOptionsValidator : AbstractValidator<ChangeOptions>
{
    public ChangeOptionsValidator()
    {
        RuleFor(o => o.ChangeLogRetention.Days).InclusiveBetween(0, 3650).WithName("Storage:ChangeLogRetention:Days");
        RuleFor(o => o.ChangeLogRetention.MaxEntriesPerUser).InclusiveBetween(0, 10_000_000).WithName("Storage:ChangeLogRetention:MaxEntriesPerUser");
        RuleFor(o => o.ChangeLogRetention.PurgeIntervalMinutes).InclusiveBetween(0, 7 * 24 * 60).WithName("Storage:ChangeLogRetention:PurgeIntervalMinutes");
        RuleFor(o => o.ChangeStreams.MaxPerUser).InclusiveBetween(1, 100_000).WithName("Storage:ChangeStreams:MaxPerUser");
        RuleFor(o => o.ChangeStreams.MaxPerIp).InclusiveBetween(1, 1_000_000).WithName("Storage:ChangeStreams:MaxPerIp");
        RuleFor(o => o.ChangeStreams.QueueLength).InclusiveBetween(4, 100_000).WithName("Storage:ChangeStreams:QueueLength");
        RuleFor(o => o.ChangeStreams.HeartbeatSeconds).InclusiveBetween(1, 600).WithName("Storage:ChangeStreams:HeartbeatSeconds");
        RuleFor(o => o.ChangeStreams.MaxReplay).InclusiveBetween(1, 1_000_000).WithName("Storage:ChangeStreams:MaxReplay");
    }
}
