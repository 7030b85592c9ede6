namespace UnhostedStore.Storage;

/// <summary>Paths as a person types them (not percent-encoded), checked as a request path is.</summary>
public static class TypedPaths
{
    /// <summary>
    /// Parses <paramref name="typed"/> (a leading <c>/</c> is optional; a folder ends in
    /// <c>/</c>) into a storage path; null with a plain-language <paramref name="error"/> when it
    /// is not one (empty names, <c>.</c>, <c>..</c>, backslashes, too long).
    /// </summary>
    public static StoragePath? Parse(string? typed, out string? error)
    {
        error = null;
        var text = (typed ?? string.Empty).Trim();
        if (text.Length == 0)
        {
            error = "Name a folder or a document.";
            return null;
        }

        if (text.Contains('\\', StringComparison.Ordinal))
        {
            error = "Use / between folder names, not \\.";
            return null;
        }

        var segments = text.TrimStart('/').Split('/');
        var encoded = "/" + string.Join('/', segments.Select(Uri.EscapeDataString));
        var parsed = StoragePath.TryParse(encoded, out var path);
        if (!parsed.Success)
        {
            error = parsed.IsTooLong
                ? "That path is too long."
                : $"\"{text}\" is not a path in your storage: use names separated by /, without empty names, \".\" or \"..\".";
            return null;
        }

        return path;
    }
}
