using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Shared;

/// <summary>The filters of an audit list as the GET form sends them (all optional).</summary>
public sealed record AuditQuery(string? User, string? Kind, string? From, string? To, int Page)
{
    /// <summary>Parses the query into a filter for <see cref="AuditLog"/>, or says in plain
    /// words what is wrong with it. Dates are whole days in UTC, both ends included.</summary>
    public (AuditFilter? Filter, string? Problem) ToFilter(AuditFilter scope)
    {
        IReadOnlyList<AuditKind>? kinds = null;
        if (!string.IsNullOrWhiteSpace(Kind) && (kinds = AuditWords.KindsFor(Kind)) is null)
        {
            return (null, Words.Of<AuditText>()["Problem_Kind"].Value);
        }

        if (!TryDay(From, out var from) || !TryDay(To, out var to))
        {
            return (null, Words.Of<AuditText>()["Problem_Date"].Value);
        }

        if (from is { } f && to is { } t && f > t)
        {
            return (null, Words.Of<AuditText>()["Problem_Order"].Value);
        }

        var user = string.IsNullOrWhiteSpace(User) ? scope.UserName : User.Trim().ToLowerInvariant();
        return (scope with { UserName = user, Kinds = kinds, FromUtc = from, ToUtc = to?.AddDays(1) }, null);
    }

    private static bool TryDay(string? text, out DateTime? day)
    {
        day = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!DateTime.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return false;
        }

        day = DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
        return true;
    }
}

/// <summary>
/// What the shared partial <c>_AuditEvents</c> shows: the filter form, one page of events with
/// plain words for each, and links to newer and older pages. The admin page shows every
/// account (with the account column and filter); a person's activity page only their own.
/// </summary>
public sealed class AuditListing
{
    public const int PageSize = 50;

    public required string PagePath { get; init; }

    public required AuditQuery Query { get; init; }

    public IReadOnlyList<AuditEvent> Events { get; init; } = [];

    public bool HasOlder { get; init; }

    /// <summary>The admin's view: every account, with the account column and filter.</summary>
    public bool ForAdmin { get; init; }

    /// <summary>The reader's own name: their own actions read "You".</summary>
    public string? Viewer { get; init; }

    public DateTime NowUtc { get; init; }

    public string? Problem { get; init; }

    public int Page => Math.Max(1, Query.Page);

    /// <summary>Reads the page <paramref name="query"/> asks for, within <paramref name="scope"/>
    /// (one account's events, or all).</summary>
    public static async Task<AuditListing> LoadAsync(AuditLog log, AuditQuery query, AuditFilter scope, string pagePath, bool forAdmin, string viewer, DateTime nowUtc, CancellationToken ct)
    {
        query = query with { Page = Math.Clamp(query.Page, 1, 100_000) };
        var (filter, problem) = query.ToFilter(scope);
        if (filter is null)
        {
            return new AuditListing { PagePath = pagePath, Query = query, ForAdmin = forAdmin, Viewer = viewer, NowUtc = nowUtc, Problem = problem };
        }

        var page = await log.ListAsync(filter, (query.Page - 1) * PageSize, PageSize, ct);
        return new AuditListing
        {
            PagePath = pagePath,
            Query = query,
            Events = page.Events,
            HasOlder = page.HasOlder,
            ForAdmin = forAdmin,
            Viewer = forAdmin ? null : viewer,
            NowUtc = nowUtc,
        };
    }

    /// <summary>This list's address with the same filters, at page <paramref name="page"/>.</summary>
    public string LinkTo(int page)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        Add("user", ForAdmin ? Query.User : null);
        Add("kind", Query.Kind);
        Add("from", Query.From);
        Add("to", Query.To);
        if (page > 1)
        {
            values["page"] = page.ToString(CultureInfo.InvariantCulture);
        }

        return QueryHelpers.AddQueryString(PagePath, values);

        void Add(string key, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                values[key] = value.Trim();
            }
        }
    }

    public string Actor(AuditEvent e) => AuditPageWords.Actor(e.Actor, Viewer);

    public static string Browser(AuditEvent e) => AuditPageWords.Browser(e.UserAgent);

    public static string? Address(AuditEvent e) => AuditActor.IsShownAddress(e.Ip) ? e.Ip : null;

    public string Ago(AuditEvent e) => AuditPageWords.Ago(e.TimeUtc, NowUtc);
}
