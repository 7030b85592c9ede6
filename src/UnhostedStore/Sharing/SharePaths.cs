using System.Text;
using UnhostedStore.Storage;

namespace UnhostedStore.Sharing;

/// <summary>A request target under <c>/s/</c>: the token and the rest, still percent-encoded.</summary>
public sealed record ShareTarget(string Token, string EncodedRest);

/// <summary>
/// Share URLs: <c>/s/&lt;token&gt;</c> for the shared item, <c>/s/&lt;token&gt;/&lt;sub-path&gt;</c>
/// inside a shared folder. The sub-path is read from the raw request target (the server has
/// already resolved dot segments in the decoded path) and follows <see cref="StoragePath"/>'s
/// rules exactly: percent-decoded once, strictly; no empty segment (<c>//</c>), no <c>.</c> or
/// <c>..</c> (encoded or not), no encoded <c>/</c>; and, here only, no backslash, which some
/// systems read as a separator. So a sub-path can only ever name something below the share's root.
/// </summary>
public static class SharePaths
{
    public const string Prefix = "/s/";

    /// <summary>The token and the encoded rest of a raw target (query dropped), or null when it
    /// is not a share URL.</summary>
    public static ShareTarget? ParseTarget(string? rawTarget)
    {
        if (rawTarget is null || !rawTarget.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? rawTarget[Prefix.Length..] : rawTarget[Prefix.Length..query];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new ShareTarget(path, string.Empty) : new ShareTarget(path[..slash], path[(slash + 1)..]);
    }

    /// <summary>
    /// The path <paramref name="encodedRest"/> names below <paramref name="root"/> (a folder), or
    /// null with the reason. An empty rest is the root itself.
    /// </summary>
    public static StoragePath? Resolve(StoragePath root, string encodedRest, out string? error)
    {
        error = null;
        if (encodedRest.Length == 0)
        {
            return root;
        }

        if (!root.IsFolder)
        {
            error = "a shared document has nothing below it";
            return null;
        }

        if (encodedRest.Contains('\\', StringComparison.Ordinal) || encodedRest.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            error = "a backslash is not allowed in a shared path";
            return null;
        }

        var parsed = StoragePath.TryParse("/" + encodedRest, out var relative);
        if (!parsed.Success)
        {
            error = parsed.Error;
            return null;
        }

        var full = root.Value + relative!.Value[1..];
        if (Encoding.UTF8.GetByteCount(full) > StoragePath.MaxPathBytes)
        {
            error = "the path is too long";
            return null;
        }

        return StoragePath.FromStored(full);
    }

    /// <summary>The URL path of <paramref name="path"/> seen through a link to <paramref name="root"/>.</summary>
    public static string Url(string token, StoragePath root, StoragePath path)
    {
        var builder = new StringBuilder(Prefix).Append(token);
        if (path.Equals(root))
        {
            return root.IsFolder ? builder.Append('/').ToString() : builder.ToString();
        }

        builder.Append('/');
        var relative = path.Value[root.Value.Length..];
        var segments = relative.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('/');
            }

            builder.Append(Uri.EscapeDataString(segments[i]));
        }

        return builder.ToString();
    }

    /// <summary>
    /// A path the owner typed (<c>photos/2024/</c>, <c>/notes/todo.txt</c>): decoded text, with
    /// or without the leading <c>/</c>; a trailing <c>/</c> means a folder. Null with the reason
    /// when it is not a path we store, or is the whole storage.
    /// </summary>
    public static StoragePath? ParseTyped(string? typed, out string? error)
    {
        var text = (typed ?? string.Empty).Trim();
        if (text.Length == 0 || text == "/")
        {
            error = "Name a folder or a document: a link can't share your whole storage.";
            return null;
        }

        return TypedPaths.Parse(text, out error);
    }
}
