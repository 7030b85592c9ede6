using Microsoft.Net.Http.Headers;

namespace UnhostedStore.Storage;

/// <summary>The conditional headers of one request, parsed once at the edge.</summary>
public sealed class RequestConditions
{
    public static readonly RequestConditions None = new(null, null, null, null);

    private RequestConditions(EntityTagCondition? ifMatch, EntityTagCondition? ifNoneMatch, string? ifRange, string? unparseable)
    {
        IfMatch = ifMatch;
        IfNoneMatch = ifNoneMatch;
        IfRange = ifRange;
        Unparseable = unparseable;
    }

    public EntityTagCondition? IfMatch { get; }

    public EntityTagCondition? IfNoneMatch { get; }

    /// <summary>Raw If-Range value; only an entity tag can match (we send no dates to compare).</summary>
    public string? IfRange { get; }

    /// <summary>
    /// The name of an <c>If-Match</c> or <c>If-None-Match</c> header whose value is not an
    /// entity-tag list (RFC 9110 §8.8.3, §13.1.1–2), or null. Such a header is left out of
    /// <see cref="IfMatch"/> / <see cref="IfNoneMatch"/>: a read ignores it, a write fails (412).
    /// </summary>
    public string? Unparseable { get; }

    /// <summary>
    /// Parses the conditional headers. Only a request that cannot be understood at all fails
    /// (several If-Range headers); a precondition that cannot be evaluated is kept as
    /// <see cref="Unparseable"/>, for the method to decide.
    /// </summary>
    public static bool TryParse(IHeaderDictionary headers, out RequestConditions conditions, out string? error)
    {
        conditions = None;
        error = null;
        string? unparseable = null;
        if (!EntityTagCondition.TryParse(headers[HeaderNames.IfMatch], out var ifMatch))
        {
            unparseable = HeaderNames.IfMatch;
        }

        if (!EntityTagCondition.TryParse(headers[HeaderNames.IfNoneMatch], out var ifNoneMatch))
        {
            unparseable ??= HeaderNames.IfNoneMatch;
        }

        var ifRange = headers[HeaderNames.IfRange];
        if (ifRange.Count > 1)
        {
            error = "more than one If-Range header";
            return false;
        }

        if (ifMatch is null && ifNoneMatch is null && ifRange.Count == 0 && unparseable is null)
        {
            return true;
        }

        conditions = new RequestConditions(ifMatch, ifNoneMatch, ifRange.Count == 1 ? ifRange[0] : null, unparseable);
        return true;
    }

    /// <summary>
    /// The conditions of a write the server prepares itself from what it read earlier (a
    /// restore): <c>If-Match</c> that version, or <c>If-None-Match: *</c> when there was none. A
    /// change made meanwhile then fails the write (412) instead of being overwritten.
    /// </summary>
    public static RequestConditions Expecting(ETag? current)
    {
        _ = EntityTagCondition.TryParse(current is { } tag ? tag.Quoted : "*", out var condition);
        return current is null
            ? new RequestConditions(null, condition, null, null)
            : new RequestConditions(condition, null, null, null);
    }

    /// <summary>
    /// Whether a PUT or DELETE must fail with 412 (draft-26 §6, RFC 9110 §13.1.1–2):
    /// If-Match that does not match the current version (or there is none), or If-None-Match
    /// (usually <c>*</c>) that matches it. A precondition that cannot be evaluated
    /// (<see cref="Unparseable"/>) always fails: the write is not performed.
    /// </summary>
    public bool WriteFails(ETag? current)
    {
        if (Unparseable is not null)
        {
            return true;
        }

        if (IfMatch is not null && (current is not { } c1 || !IfMatch.MatchesStrong(c1)))
        {
            return true;
        }

        return IfNoneMatch is not null && current is { } c2 && IfNoneMatch.MatchesWeak(c2);
    }

    /// <summary>RFC 9110 §13.1.5: a Range applies only if If-Range is absent or names the current version.</summary>
    public bool RangeApplies(ETag current) =>
        IfRange is null || (ETag.TryParse(IfRange, out var tag) && tag.Value == current.Value);
}
