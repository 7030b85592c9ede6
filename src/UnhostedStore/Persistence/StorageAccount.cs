
using UnhostedStore.Accounts;

namespace UnhostedStore.Persistence;

/// <summary>
/// Per-user storage state. Every write updates this row first, inside its transaction: the row
/// lock serializes one user's writes (also across server processes) and carries the usage counters.
/// </summary>
public sealed class StorageAccount
{
    public required string UserName { get; set; }

    /// <summary>Bumped by every write; the write that bumps it holds the row lock.</summary>
    public long WriteVersion { get; set; }

    public long UsedBytes { get; set; }

    public long DocumentCount { get; set; }

    /// <summary>Bytes of the retained versions (<see cref="RetainedVersion"/>: history and trash);
    /// they count toward the quota on top of <see cref="UsedBytes"/>. Kept in the same transactions
    /// that add or remove version rows.</summary>
    public long HistoryBytes { get; set; }

    /// <summary>This user's quota in bytes: null follows <c>Storage:DefaultQuotaBytes</c>, 0 means
    /// no limit (<c>users set-quota</c>).</summary>
    public long? QuotaBytes { get; set; }

    /// <summary>The last change-log sequence number given out (<see cref="ChangeLogEntry.Seq"/>):
    /// the write that logs a change takes the next one, under the row lock.</summary>
    public long ChangeSeq { get; set; }
}
