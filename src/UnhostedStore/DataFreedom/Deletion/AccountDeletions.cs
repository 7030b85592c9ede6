using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Persistence;

namespace UnhostedStore.DataFreedom.Deletion;

/// <summary>What cancelling found: done, nothing to cancel, or too late (erasure has begun).</summary>
public enum CancelResult
{
    Cancelled,
    NotPending,
    AlreadyErasing,
}

/// <summary>
/// A person leaving for good: the account page's "delete", the login page's "cancel deletion"
/// and the CLI's <c>users remove</c>. Scheduling disables the account at once, in one
/// transaction: the <see cref="AccountDeletion"/> row (login, sessions and public documents
/// ask for it) and the suspension of every grant (<see cref="AccountGrants"/>: tokens are refused
/// at their next request, cached ones too). <see cref="AccountEraser"/> erases once
/// <c>Accounts:DeletionGraceDays</c> have passed; until it has claimed the row, cancelling
/// brings everything back.
/// </summary>
public sealed class AccountDeletions(StorageDbContext db, IOptions<AccountOptions> options, TimeProvider clock, DeletionSignal signal)
{
    /// <summary>Disables the account and schedules its erasure; an account already leaving keeps
    /// its schedule unless <paramref name="eraseNow"/> brings it forward.</summary>
    public async Task<AccountDeletion> ScheduleAsync(string userName, bool eraseNow, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var eraseAfter = eraseNow ? now : now.AddDays(options.Value.DeletionGraceDays);
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.ChangeTracker.Clear();
            var existing = await db.AccountDeletions.FirstOrDefaultAsync(d => d.UserName == userName, ct);
            if (existing is null)
            {
                db.AccountDeletions.Add(new AccountDeletion
                {
                    UserName = userName,
                    RequestedUtc = now,
                    EraseAfterUtc = eraseAfter,
                    State = AccountDeletionState.Pending,
                });
            }
            else if (eraseAfter < existing.EraseAfterUtc)
            {
                existing.EraseAfterUtc = eraseAfter;
            }

            await db.SaveChangesAsync(ct);

            // Also when the row existed: a grant created meanwhile (none should be) is caught too.
            await AccountGrants.SuspendAsync(db, userName, ct);
            await tx.CommitAsync(ct);
        }

        db.ChangeTracker.Clear();
        var scheduled = (await PendingDeletions.FindAsync(db, userName, ct))!;
        if (scheduled.EraseAfterUtc <= now)
        {
            signal.Wake();
        }

        return scheduled;
    }

    /// <summary>Brings a leaving account back (login, apps, public documents), unless an eraser
    /// has already claimed it: from then on nothing can be restored.</summary>
    public async Task<CancelResult> CancelAsync(string userName, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // The same condition the eraser's claim checks, so exactly one of the two wins.
        var cancelled = await db.AccountDeletions
            .Where(d => d.UserName == userName && d.State == AccountDeletionState.Pending)
            .ExecuteDeleteAsync(ct);
        if (cancelled == 0)
        {
            var erasing = await db.AccountDeletions.AnyAsync(d => d.UserName == userName, ct);
            return erasing ? CancelResult.AlreadyErasing : CancelResult.NotPending;
        }

        await AccountGrants.RestoreAsync(db, userName, ct);
        await tx.CommitAsync(ct);
        return CancelResult.Cancelled;
    }
}

/// <summary>Wakes the erasure job when a deletion is due at once (<c>Accounts:DeletionGraceDays</c> = 0).</summary>
public sealed class DeletionSignal : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);

    public void Dispose() => _wake.Dispose();
}
