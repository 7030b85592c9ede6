using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;
using UnhostedStore.Storage.History;

namespace UnhostedStore.Storage.Moving;

/// <summary>
/// Renames or moves a document, or a folder with everything in it, inside one person's storage,
/// on the server: no byte is copied, the document at the new path names the same blob (or holds
/// the same inline bytes) as the old one.
/// <para>For the protocol a move is a DELETE at the old path plus a PUT at the new one (draft-26
/// §5): the moved document gets a new ETag, every ancestor on both sides a new version, an
/// emptied source folder disappears (§4), and with history on the old path's version goes to the
/// trash like any deletion (it names the same blob key: blob deletion is reference-checked,
/// <see cref="BlobRelease"/>). The usage does not change, so the quota never refuses a move.</para>
/// <para>Sources are read outside the user's lock; the writes then require each source still to
/// be the version read (If-Match) and each destination still to be free (If-None-Match: *), and
/// commit in all-or-nothing transactions of <see cref="BatchSize"/> documents
/// (<see cref="WriteBatch"/>): a concurrent change, a destination taken meanwhile or a name clash
/// rolls its whole transaction back and stops the move, never overwriting anything.</para>
/// </summary>
public sealed class Moves(StorageDbContext db, DocumentWrites writes)
{
    /// <summary>Documents per transaction (two writes each: the delete and the put).</summary>
    public const int BatchSize = 500;

    /// <summary>Times a folder is read again for documents added to it while it was being moved.</summary>
    private const int MaxRounds = 3;

    /// <summary>
    /// Moves <paramref name="from"/> to <paramref name="to"/> (both documents, or both folders)
    /// in <paramref name="owner"/>'s storage. <paramref name="app"/> is who moves, e.g. "Files
    /// page": recorded as the new documents' author and, with history on, as who removed the old
    /// versions. Cancelling stops between transactions.
    /// </summary>
    public async Task<MoveReport> MoveAsync(
        string owner, StoragePath from, StoragePath to, string? app, IProgress<MoveProgress>? progress = null, CancellationToken ct = default)
    {
        if (Refusal(from, to) is { } refusal)
        {
            return Refused(MoveProblem.Invalid, refusal);
        }

        var sources = await PlanAsync(owner, from, ct);
        if (sources.Count == 0)
        {
            return Refused(MoveProblem.NotFound, $"There is nothing at {from.Value}.");
        }

        if (await InTheWayAsync(owner, from, to, ct) is { } clash)
        {
            return Refused(MoveProblem.Conflict, clash);
        }

        var label = HistoryLabels.Clip(app);
        var (moved, total) = (0, sources.Count);
        for (var round = 0; round < MaxRounds && sources.Count > 0; round++)
        {
            if (sources.Select(s => Destination(from, to, s.Path)).FirstOrDefault(d => Encoding.UTF8.GetByteCount(d.Value) > StoragePath.MaxPathBytes) is { } tooLong)
            {
                var failure = new MoveFailure(StoragePath.FromStored(sources[0].Path), tooLong, MoveProblem.Invalid, $"A path would be longer than {StoragePath.MaxPathBytes} bytes ({tooLong.Value[..40]}…): choose a shorter name.");
                return new MoveReport(from, to, moved, total, failure);
            }

            progress?.Report(new MoveProgress(moved, total));
            foreach (var chunk in sources.Chunk(BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                if (await MoveBatchAsync(owner, from, to, chunk, label) is { } failure)
                {
                    return new MoveReport(from, to, moved, total, failure);
                }

                moved += chunk.Length;
                progress?.Report(new MoveProgress(moved, total));
            }

            // Documents written into the folder while it was being moved follow it; a document
            // moves once (it is the same path again only if someone wrote it there anew).
            sources = from.IsFolder ? await PlanAsync(owner, from, ct) : [];
            total += sources.Count;
        }

        return new MoveReport(from, to, moved, total, null);

        MoveReport Refused(MoveProblem problem, string reason) => new(from, to, 0, 0, new MoveFailure(from, to, problem, reason));
    }

    /// <summary>Why the move can't be done at all, or null.</summary>
    public static string? Refusal(StoragePath from, StoragePath to)
    {
        if (from.IsRoot)
        {
            return "Your whole storage can't be moved: choose a folder or a document in it.";
        }

        if (from.Value == "/public/")
        {
            return "The public folder itself can't be moved or renamed: move what is in it instead.";
        }

        if (to.IsRoot || to.Value == "/public/")
        {
            return $"{to.Value} can't be a new name: choose a folder or document path inside it, for example {to.Value}{from.Name}.";
        }

        if (from.IsFolder != to.IsFolder)
        {
            return from.IsFolder
                ? $"{from.Value} is a folder: its new path must end with /, for example {to.Value}/."
                : $"{from.Value} is a document: its new path must not end with /.";
        }

        if (from.Equals(to))
        {
            return $"{from.Value} is already there.";
        }

        if (from.IsFolder && to.Value.StartsWith(from.Value, StringComparison.Ordinal))
        {
            return $"A folder can't be moved into itself: {to.Value} is inside {from.Value}.";
        }

        return null;
    }

    /// <summary>Where the document at <paramref name="source"/> goes.</summary>
    private static StoragePath Destination(StoragePath from, StoragePath to, string source) =>
        from.IsFolder ? StoragePath.FromStored(to.Value + source[from.Value.Length..]) : to;

    /// <summary>The documents to move (path and version), in path order.</summary>
    private async Task<List<Source>> PlanAsync(string owner, StoragePath from, CancellationToken ct)
    {
        var prefix = from.Value;
        var query = db.Nodes.AsNoTracking().Where(n => n.Owner == owner && !n.IsFolder);
        query = from.IsFolder ? query.Where(n => n.Path.StartsWith(prefix)) : query.Where(n => n.Path == prefix);

        // SQLite's LIKE ignores case: the prefix is checked again, exactly; the order is ordinal
        // whatever the database's collation.
        return (await query.Select(n => new Source(n.Path, n.ETag)).ToListAsync(ct))
            .Where(s => s.Path.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(s => s.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>What is already at or above the destination, in words, or null. The commit
    /// checks each document again under the lock; this answers the common case up front.</summary>
    private async Task<string?> InTheWayAsync(string owner, StoragePath from, StoragePath to, CancellationToken ct)
    {
        var ancestors = to.Ancestors().Where(a => !a.IsRoot).Select(a => a.AsOtherKind().Value).ToList();
        var paths = new List<string>(ancestors) { to.Value, to.AsOtherKind().Value };
        var found = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && paths.Contains(n.Path))
            .Select(n => n.Path)
            .ToListAsync(ct);
        var there = found.Where(p => p != from.Value).ToHashSet(StringComparer.Ordinal);
        if (there.Contains(to.Value))
        {
            return to.IsFolder
                ? $"There is already a folder {to.Value}: a move never mixes two folders or replaces anything. Choose another name."
                : $"There is already a document {to.Value}: a move never replaces one. Choose another name.";
        }

        if (there.Contains(to.AsOtherKind().Value))
        {
            return to.IsFolder
                ? $"There is a document named {to.AsOtherKind().Value}: a folder can't have the same name."
                : $"There is a folder named {to.AsOtherKind().Value}: a document can't have the same name.";
        }

        return ancestors.FirstOrDefault(there.Contains) is { } document
            ? $"{document} is a document, so it can't hold anything: a name is either a document or a folder."
            : null;
    }

    /// <summary>Moves one batch of documents in one all-or-nothing transaction; the failure, or null.</summary>
    private async Task<MoveFailure?> MoveBatchAsync(string owner, StoragePath from, StoragePath to, Source[] chunk, string? label)
    {
        // The bytes (inline ones, or the blob key) a batch at a time, read now: if a document
        // changed since it was planned, its delete below fails on the planned version and the
        // transaction rolls back, so bytes of another version are never moved.
        var paths = chunk.Select(s => s.Path).ToList();
        var rows = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == owner && !n.IsFolder && paths.Contains(n.Path))
            .Select(n => new { n.Path, n.ContentType, n.ContentLength, n.BlobKey, n.InlineContent })
            .ToDictionaryAsync(n => n.Path, StringComparer.Ordinal, CancellationToken.None);

        var batch = new List<PendingWrite>(chunk.Length * 2);
        foreach (var source in chunk)
        {
            var path = StoragePath.FromStored(source.Path);
            var row = rows.GetValueOrDefault(source.Path);

            // The delete first: a document may then take a name its own path held (/a → /a/b).
            batch.Add(new PendingDelete(path, RequestConditions.Expecting(ETag.FromStored(source.ETag))) { App = label });
            batch.Add(new PendingPut(Destination(from, to, source.Path), RequestConditions.Expecting(null), row?.ContentType ?? string.Empty, row?.ContentLength ?? 0, row?.BlobKey, row?.InlineContent)
            {
                App = label,
                MovedFrom = path,
            });
        }

        await writes.CommitAsync(owner, batch, allOrNothing: true);
        if (batch.All(w => WriteBatch.IsApplied(w.Outcome)))
        {
            return null;
        }

        var refused = batch.First(w => w.Outcome is not StorageOutcome.NotApplied && !WriteBatch.IsApplied(w.Outcome));
        return refused is PendingPut put ? PutRefused(put) : DeleteRefused(refused, Destination(from, to, refused.Path.Value));
    }

    private static MoveFailure DeleteRefused(PendingWrite delete, StoragePath destination) => delete.Outcome switch
    {
        StorageOutcome.NotFound => new(delete.Path, destination, MoveProblem.Conflict, $"{delete.Path.Value} was deleted while it was being moved; nothing of this part of the move happened."),
        _ => new(delete.Path, destination, MoveProblem.Conflict, $"{delete.Path.Value} changed while it was being moved; nothing of this part of the move happened, nothing was overwritten. Try again."),
    };

    private static MoveFailure PutRefused(PendingPut put) => put.Outcome switch
    {
        StorageOutcome.PreconditionFailed => new(put.MovedFrom!, put.Path, MoveProblem.Conflict, $"There is already a document {put.Path.Value}: a move never replaces one, so nothing of this part of the move happened."),
        StorageOutcome.Conflict conflict => new(put.MovedFrom!, put.Path, MoveProblem.Conflict, $"{put.Path.Value} can't be created: {conflict.Reason}, and a name is either a document or a folder."),
        _ => new(put.MovedFrom!, put.Path, MoveProblem.Conflict, $"{put.Path.Value} could not be written; nothing of this part of the move happened."),
    };

    private sealed record Source(string Path, string ETag);
}
