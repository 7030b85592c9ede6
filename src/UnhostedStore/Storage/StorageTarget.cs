using UnhostedStore.Accounts;

namespace UnhostedStore.Storage;

/// <summary>The owner and path of a storage request, decoded once from the raw request target.</summary>
public readonly record struct StorageTarget(string? Owner, StoragePath? Path, StorageOutcome? Outcome)
{
    /// <summary>
    /// Parses the raw target (<c>/storage/{user}/{path}?query</c>). The raw form is used, not
    /// the server's decoded path, because that one has already resolved <c>..</c> segments and
    /// decoded everything but <c>%2F</c>: we must see both to reject them (draft-26 §4).
    /// </summary>
    public static StorageTarget Parse(string? rawTarget, int maxUrlBytes)
    {
        if (rawTarget is null || !rawTarget.StartsWith(StorageEndpoints.Prefix, StringComparison.Ordinal))
        {
            return Fail(rawTarget is not null && rawTarget.StartsWith("/storage", StringComparison.Ordinal)
                ? "missing user name"
                : "request target must be in origin form");
        }

        if (rawTarget.Length > maxUrlBytes)
        {
            return new StorageTarget(null, null, new StorageOutcome.UriTooLong());
        }

        var span = rawTarget.AsSpan(StorageEndpoints.Prefix.Length);
        var query = span.IndexOf('?');
        if (query >= 0)
        {
            span = span[..query];
        }

        var slash = span.IndexOf('/');
        if (slash <= 0)
        {
            return Fail(slash == 0 ? "empty user name" : "missing path after the user name");
        }

        var userError = StoragePath.TryDecodeSegment(span[..slash], out var owner);
        if (userError is not null)
        {
            return Fail(userError);
        }

        if (!UserName.TryParse(owner, out var userName))
        {
            return Fail("invalid user name");
        }

        var result = StoragePath.TryParse(span[slash..], out var path);
        if (result.IsTooLong)
        {
            return new StorageTarget(null, null, new StorageOutcome.UriTooLong());
        }

        return result.Success ? new StorageTarget(userName.Value, path, null) : Fail(result.Error!);

        static StorageTarget Fail(string reason) => new(null, null, new StorageOutcome.BadRequest(reason));
    }
}
