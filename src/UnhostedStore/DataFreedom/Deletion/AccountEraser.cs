using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Authorization;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.DataFreedom.Deletion;

/// <summary>Another eraser took the deletion over (this one's lease ran out): stop, it finishes.</summary>
public sealed class ErasureLeaseLostException(string userName)
    : Exception($"The erasure of {userName} is held by another process now.");

/// <summary>
/// Erases a leaving account for good, in bounded, resumable steps. The <see cref="AccountDeletion"/>
/// row is the checkpoint and the claim: an eraser takes it with a lease (one conditional UPDATE,
/// so of several instances exactly one wins), renews the lease before every step, and another
/// instance takes over only once the lease ran out, e.g. because the process was killed. Steps:
/// <list type="number">
/// <item>the grants and tokens (so nothing can write any more);</item>
/// <item>document and folder rows, then retained versions (history and trash),
/// <see cref="BatchSize"/> at a time, each batch one transaction under the user's row lock that
/// also records the batch's blob keys on the deletion row; the blobs are deleted only after that
/// commit, and the keys cleared after that, so a crash at any point neither loses a key nor
/// deletes a blob that a row still points at (a document and a version may share a blob: a key
/// another row still names is left for the batch that removes that row);</item>
/// <item>usage rows, invites and the storage account row, then the Identity user, then the
/// deletion row itself.</item>
/// </list>
/// Every step is idempotent, so repeating one after a crash is harmless.
/// </summary>
public sealed partial class AccountEraser(
    StorageDbContext db,
    IBlobStore blobs,
    UserManager<UserAccount> users,
    TimeProvider clock,
    ILogger<AccountEraser> logger,
    AuditTrail audit)
{
    /// <summary>How long a claim holds without renewal; each step renews it.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    /// <summary>Who this process is, as a lease owner.</summary>
    public static readonly string ProcessOwner = NewOwner();

    /// <summary>Rows per transaction: small enough to keep each commit and lock short.</summary>
    public int BatchSize { get; set; } = 500;

    public string Owner { get; set; } = ProcessOwner;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Claims and erases every deletion that is due, one after another; returns how many.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var erased = 0;
        while (await ClaimNextAsync(ct) is { } userName)
        {
            await EraseAsync(userName, progress: null, stopAfterBatches: null, ct);
            LogErased(logger, userName);
            erased++;
        }

        return erased;
    }

    /// <summary>Claims one due deletion (grace period over, or an erasure whose eraser went away).</summary>
    public async Task<string?> ClaimNextAsync(CancellationToken ct)
    {
        var now = Now;
        var candidates = await db.AccountDeletions.AsNoTracking()
            .Where(d => (d.State == AccountDeletionState.Pending && d.EraseAfterUtc <= now)
                || (d.State == AccountDeletionState.Erasing && (d.LeaseUntilUtc == null || d.LeaseUntilUtc < now)))
            .OrderBy(d => d.EraseAfterUtc)
            .Select(d => d.UserName)
            .Take(10)
            .ToListAsync(ct);
        foreach (var userName in candidates)
        {
            if (await TryClaimAsync(userName, ct))
            {
                return userName;
            }
        }

        return null;
    }

    /// <summary>Claims this user's deletion if it is due and no other eraser holds a live lease.
    /// From here on it can no longer be cancelled.</summary>
    public async Task<bool> TryClaimAsync(string userName, CancellationToken ct)
    {
        var now = Now;
        var owner = Owner;
        var claimed = await db.AccountDeletions
            .Where(d => d.UserName == userName
                && ((d.State == AccountDeletionState.Pending && d.EraseAfterUtc <= now)
                    || (d.State == AccountDeletionState.Erasing && (d.LeaseOwner == owner || d.LeaseUntilUtc == null || d.LeaseUntilUtc < now))))
            .ExecuteUpdateAsync(
                s => s.SetProperty(d => d.State, AccountDeletionState.Erasing)
                    .SetProperty(d => d.LeaseOwner, owner)
                    .SetProperty(d => d.LeaseUntilUtc, now + Lease),
                ct);
        return claimed == 1;
    }

    /// <summary>
    /// Erases a claimed account to the end, or stops after <paramref name="stopAfterBatches"/>
    /// committed batches, before their blobs are deleted (the worst moment to be killed; a later
    /// run finishes). True when the account is gone.
    /// </summary>
    public async Task<bool> EraseAsync(string userName, IProgress<ReconcileProgress>? progress, int? stopAfterBatches, CancellationToken ct)
    {
        await RenewAsync(userName, ct);
        await AccountGrants.DeleteAllAsync(db, userName, ct);

        var total = (int)await db.Nodes.CountAsync(n => n.Owner == userName && !n.IsFolder, ct);
        var done = 0;
        var batches = 0;
        progress?.Report(new ReconcileProgress("erasing documents", 0, total));
        while (true)
        {
            await RenewAsync(userName, ct);
            await DeletePendingBlobsAsync(userName, ct);
            var (rows, documents) = await DeleteBatchAsync(userName, ct);
            if (rows == 0)
            {
                break;
            }

            done += documents;
            progress?.Report(new ReconcileProgress("erasing documents", Math.Min(done, total), total));
            if (++batches == stopAfterBatches)
            {
                return false;
            }
        }

        var versions = (int)await db.DocumentVersions.CountAsync(v => v.Owner == userName, ct);
        var versionsDone = 0;
        progress?.Report(new ReconcileProgress("erasing history", 0, versions));
        while (true)
        {
            await RenewAsync(userName, ct);
            await DeletePendingBlobsAsync(userName, ct);
            var rows = await DeleteVersionBatchAsync(userName, ct);
            if (rows == 0)
            {
                break;
            }

            versionsDone += rows;
            progress?.Report(new ReconcileProgress("erasing history", Math.Min(versionsDone, versions), versions));
            if (++batches == stopAfterBatches)
            {
                return false;
            }
        }

        await RenewAsync(userName, ct);
        await DeleteAccountRowsAsync(userName, ct);
        var account = await users.FindByNameAsync(userName);
        if (account is not null)
        {
            var result = await users.DeleteAsync(account);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
            }
        }

        var owner = Owner;
        await db.AccountDeletions.Where(d => d.UserName == userName && d.LeaseOwner == owner).ExecuteDeleteAsync(ct);

        // The log outlives the account: its rows name it by id and name, not by a foreign key.
        const string Erased = "Documents, history, apps and the account itself are erased for good.";
        await (account is null
            ? audit.RecordAsync(AuditKind.AccountDeleted, userName, AuditActor.System, Erased)
            : audit.RecordAsync(AuditKind.AccountDeleted, account, AuditActor.System, Erased));
        return true;
    }

    private async Task RenewAsync(string userName, CancellationToken ct)
    {
        var owner = Owner;
        var until = Now + Lease;
        var renewed = await db.AccountDeletions
            .Where(d => d.UserName == userName && d.State == AccountDeletionState.Erasing && d.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntilUtc, until), ct);
        if (renewed == 0)
        {
            throw new ErasureLeaseLostException(userName);
        }
    }

    /// <summary>The previous batch's blobs: their rows are gone (committed), so nothing can read
    /// them any more. The keys are cleared only afterwards.</summary>
    private async Task DeletePendingBlobsAsync(string userName, CancellationToken ct)
    {
        var pending = await db.AccountDeletions.AsNoTracking()
            .Where(d => d.UserName == userName)
            .Select(d => d.PendingBlobKeys)
            .FirstOrDefaultAsync(ct);
        if (string.IsNullOrEmpty(pending))
        {
            return;
        }

        var keys = pending.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var stillNamed = await BlobRelease.ReferencedAsync(db, keys, ct);
        foreach (var key in keys.Where(k => !stillNamed.Contains(k)))
        {
            // Deleting a missing blob succeeds, so a repeat after a crash is harmless; a store
            // that fails stops the erasure here, to be resumed with the keys still recorded.
            await blobs.DeleteAsync(key, ct);
        }

        var owner = Owner;
        await db.AccountDeletions
            .Where(d => d.UserName == userName && d.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.PendingBlobKeys, (string?)null), ct);
    }

    /// <summary>One batch of rows and, in the same transaction, its blob keys on the deletion row.</summary>
    private async Task<(int Rows, int Documents)> DeleteBatchAsync(string userName, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // Under the user's row lock, like a write: no write of this user interleaves.
        await UserLock.TakeAsync(db, userName, ct);
        var rows = await db.Nodes.AsNoTracking()
            .Where(n => n.Owner == userName)
            .OrderBy(n => n.Path)
            .Take(BatchSize)
            .Select(n => new { n.Path, n.IsFolder, n.BlobKey, n.ContentLength })
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return (0, 0);
        }

        var paths = rows.Select(r => r.Path).ToList();
        await db.Nodes.Where(n => n.Owner == userName && paths.Contains(n.Path)).ExecuteDeleteAsync(ct);
        var documents = rows.Where(r => !r.IsFolder).ToList();
        var keys = documents.Where(r => r.BlobKey is not null).Select(r => r.BlobKey!).ToList();
        var bytes = documents.Sum(r => r.ContentLength);
        var owner = Owner;
        var recorded = await db.AccountDeletions
            .Where(d => d.UserName == userName && d.LeaseOwner == owner)
            .ExecuteUpdateAsync(
                s => s.SetProperty(d => d.PendingBlobKeys, keys.Count == 0 ? null : string.Join('\n', keys))
                    .SetProperty(d => d.DocumentsErased, d => d.DocumentsErased + documents.Count)
                    .SetProperty(d => d.BytesErased, d => d.BytesErased + bytes),
                ct);
        if (recorded == 0)
        {
            throw new ErasureLeaseLostException(userName);
        }

        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (rows.Count, documents.Count);
    }

    /// <summary>One batch of retained versions and, in the same transaction, their blob keys.</summary>
    private async Task<int> DeleteVersionBatchAsync(string userName, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await UserLock.TakeAsync(db, userName, ct);
        var rows = await db.DocumentVersions.AsNoTracking()
            .Where(v => v.Owner == userName)
            .OrderBy(v => v.Id)
            .Take(BatchSize)
            .Select(v => new { v.Id, v.BlobKey })
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return 0;
        }

        var ids = rows.Select(r => r.Id).ToList();
        await db.DocumentVersions.Where(v => v.Owner == userName && ids.Contains(v.Id)).ExecuteDeleteAsync(ct);
        var keys = rows.Where(r => r.BlobKey is not null).Select(r => r.BlobKey!).Distinct(StringComparer.Ordinal).ToList();
        var owner = Owner;
        var recorded = await db.AccountDeletions
            .Where(d => d.UserName == userName && d.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.PendingBlobKeys, keys.Count == 0 ? null : string.Join('\n', keys)), ct);
        if (recorded == 0)
        {
            throw new ErasureLeaseLostException(userName);
        }

        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return rows.Count;
    }

    private async Task DeleteAccountRowsAsync(string userName, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await AccountGrants.DeleteAllAsync(db, userName, ct);
        await db.ModuleUsage.Where(m => m.Owner == userName).ExecuteDeleteAsync(ct);
        await db.Invites.Where(i => i.CreatedBy == userName).ExecuteDeleteAsync(ct);
        await db.ShareLinks.Where(l => l.Owner == userName).ExecuteDeleteAsync(ct);
        await db.ChangeLog.Where(c => c.Owner == userName).ExecuteDeleteAsync(ct);

        // An invite the person signed up with stays used (UsedBy null would make it valid again),
        // without their name.
        await db.Invites.Where(i => i.UsedBy == userName).ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedBy, ErasedUser), ct);
        await db.Accounts.Where(a => a.UserName == userName).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
    }

    private static string NewOwner()
    {
        var owner = $"{Guid.NewGuid():N}/{Environment.ProcessId}@{Environment.MachineName}";
        return owner.Length <= 128 ? owner : owner[..128];
    }

    /// <summary>What an invite's <c>UsedBy</c> says once its user is erased: no valid user name.</summary>
    public const string ErasedUser = "(erased)";

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased the account {UserName} for good")]
    private static partial void LogErased(ILogger logger, string userName);
}
