using Microsoft.Net.Http.Headers;

namespace UnhostedStore.Storage;

/// <summary>The conditional headers of one request, parsed once at the edge.</summary>
public sealed class RequestConditions
{
    public static readonly RequestConditions None = new(null, null, null);

    private RequestConditions(EntityTagCondition? ifMatch, EntityTagCondition? ifNoneMatch, string? ifRange)
    {
        IfMatch = ifMatch;
        IfNoneMatch = ifNoneMatch;
        IfRange = ifRange;
    }

    public EntityTagCondition? IfMatch { get; }

    public EntityTagCondition? IfNoneMatch { get; }

    /// <summary>Raw If-Range value; only an entity tag can match (we send no dates to compare).</summary>
    public string? IfRange { get; }

    public static bool TryParse(IHeaderDictionary headers, out RequestConditions conditions, out string? error)
    {
        conditions = None;
        error = null;
        if (!EntityTagCondition.TryParse(headers[HeaderNames.IfMatch], out var ifMatch))
        {
            error = "malformed If-Match header";
            return false;
        }

        if (!EntityTagCondition.TryParse(headers[HeaderNames.IfNoneMatch], out var ifNoneMatch))
        {
            error = "malformed If-None-Match header";
            return false;
        }

        var ifRange = headers[HeaderNames.IfRange];
        if (ifRange.Count > 1)
        {
            error = "more than one If-Range header";
            return false;
        }

        if (ifMatch is null && ifNoneMatch is null && ifRange.Count == 0)
        {
            return true;
        }

        conditions = new RequestConditions(ifMatch, ifNoneMatch, ifRange.Count == 1 ? ifRange[0] : null);
        return true;
    }

    /// <summary>
    /// Whether a PUT or DELETE must fail with 412 (draft-26 §6, RFC 9110 §13.1.1–2):
    /// If-Match that does not match the current version (or there is none), or If-None-Match
    /// (usually <c>*</c>) that matches it.
    /// </summary>
    public bool WriteFails(ETag? current)
    {
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
