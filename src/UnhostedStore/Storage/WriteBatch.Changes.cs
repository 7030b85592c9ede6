using UnhostedStore.Persistence;
using UnhostedStore.Storage.Changes;

namespace UnhostedStore.Storage;

/// <summary>
/// The write path's part of the change streams: every write a batch applies gets a change-log
/// entry in the same transaction (it joins the batch's one SaveChanges, and its sequence number
/// comes from the account row the batch already locked and updates, so a write costs no extra
/// round trip), and after the commit the hub hears of them (<see cref="ChangeHub.Committed"/>,
/// which returns at once). PUTs, DELETEs, moves and restores all pass through here.
/// </summary>
public sealed partial class WriteBatch
{
    /// <summary>Adds one entry per applied write, in the batch's order, numbered on from the
    /// account's <see cref="StorageAccount.ChangeSeq"/>; returns them for after the commit.</summary>
    private List<ChangeEvent>? LogChanges(StorageAccount account, IReadOnlyList<PendingWrite> batch, DateTime now)
    {
        List<ChangeEvent>? logged = null;
        foreach (var write in batch)
        {
            var (etag, contentType) = write.Outcome switch
            {
                StorageOutcome.Created created => (created.ETag.Value, ((PendingPut)write).ContentType),
                StorageOutcome.Updated updated => (updated.ETag.Value, ((PendingPut)write).ContentType),
                StorageOutcome.Deleted => ((string?)null, (string?)null),
                _ => (string.Empty, null),
            };
            if (etag is { Length: 0 })
            {
                continue;
            }

            var entry = new ChangeLogEntry
            {
                Owner = account.UserName,
                Seq = ++account.ChangeSeq,
                Path = write.Path.Value,
                ETag = etag,
                ContentType = contentType,
                Deleted = etag is null,
                TimeUtc = now,
            };
            db.ChangeLog.Add(entry);
            (logged ??= []).Add(ChangeEvent.From(entry));
        }

        return logged;
    }

    /// <summary>After the commit: the streams of this instance get the entries in hand; other
    /// instances hear of them from the database (PostgreSQL NOTIFY, <see cref="ChangeNotifications"/>).</summary>
    private void PublishChanges(string owner, List<ChangeEvent>? logged)
    {
        if (logged is not null)
        {
            changes.Committed(owner, logged);
        }
    }
}
