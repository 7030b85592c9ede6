using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Accounts.Activity;

/// <summary>Which events to show. <see cref="UserId"/> limits to one account's own events (a
/// person's activity page); <see cref="UserName"/> to an account by name (the admin's filter,
/// which also finds accounts that no longer exist). Times are inclusive from, exclusive to.</summary>
public sealed record AuditFilter(
    string? UserId = null,
    string? UserName = null,
    IReadOnlyList<AuditKind>? Kinds = null,
    DateTime? FromUtc = null,
    DateTime? ToUtc = null);

/// <summary>One page of events, newest first, and whether older ones follow.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, bool HasOlder);

/// <summary>Reads the audit log for the pages and the CLI: newest first, filtered, a page at a
/// time (through the (UserId, TimeUtc), (UserName, TimeUtc) and TimeUtc indexes).</summary>
public sealed class AuditLog(StorageDbContext db)
{
    public const int MaxPageSize = 500;

    public async Task<AuditPage> ListAsync(AuditFilter filter, int skip, int take, CancellationToken ct)
    {
        take = Math.Clamp(take, 1, MaxPageSize);
        skip = Math.Max(0, skip);
        var query = db.AuditEvents.AsNoTracking();
        if (filter.UserId is { } id)
        {
            query = query.Where(e => e.UserId == id);
        }

        if (filter.UserName is { } name)
        {
            query = query.Where(e => e.UserName == name);
        }

        if (filter.Kinds is { Count: > 0 } kinds)
        {
            var list = kinds.Distinct().ToList();
            query = list.Count == 1 ? query.Where(e => e.Kind == list[0]) : query.Where(e => list.Contains(e.Kind));
        }

        if (filter.FromUtc is { } from)
        {
            var f = DateTime.SpecifyKind(from, DateTimeKind.Utc);
            query = query.Where(e => e.TimeUtc >= f);
        }

        if (filter.ToUtc is { } to)
        {
            var t = DateTime.SpecifyKind(to, DateTimeKind.Utc);
            query = query.Where(e => e.TimeUtc < t);
        }

        // One more than asked tells whether there is an older page.
        var rows = await query
            .OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id)
            .Skip(skip).Take(take + 1)
            .ToListAsync(ct);
        foreach (var row in rows)
        {
            // SQLite gives times back without their kind; they were stored as UTC.
            row.TimeUtc = DateTime.SpecifyKind(row.TimeUtc, DateTimeKind.Utc);
        }

        return new AuditPage(rows.Take(take).ToList(), rows.Count > take);
    }
}
