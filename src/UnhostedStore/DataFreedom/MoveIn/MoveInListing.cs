using System.Text.Json;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>One entry of a folder listing: a child folder (name ends in <c>/</c>) or a document.</summary>
public sealed record ListingEntry(string Name, bool IsFolder, string ETag, string? ContentType);

/// <summary>
/// Reads a folder listing of the old server (draft-26 §4: a JSON-LD object whose <c>items</c>
/// map names to objects with an <c>ETag</c>, and for documents <c>Content-Type</c>). The server
/// is not trusted: entries that are not objects, names that are empty, <c>.</c>, <c>..</c> or
/// contain <c>/</c> or NUL come back as refusals instead of being followed.
/// </summary>
public static class MoveInListing
{
    public const int MaxItems = 100_000;

    public static (List<ListingEntry> Entries, List<(string Name, string Why)> Refused) Parse(byte[] body)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new MoveInRefusedException("its listing is not JSON");
        }

        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Object)
            {
                throw new MoveInRefusedException("its listing has no \"items\" object (draft-26 §4)");
            }

            var entries = new List<ListingEntry>();
            var refused = new List<(string, string)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items.EnumerateObject())
            {
                if (entries.Count + refused.Count >= MaxItems)
                {
                    throw new MoveInRefusedException($"its listing has more than {MaxItems} items");
                }

                var name = item.Name;
                var isFolder = name.EndsWith('/');
                var bare = isFolder ? name[..^1] : name;
                if (bare.Length == 0 || bare is "." or ".." || bare.Contains('/', StringComparison.Ordinal) || bare.Contains('\0', StringComparison.Ordinal))
                {
                    refused.Add((name, bare is "." or ".." ? "the listing points back at a folder already seen (a loop)" : "its name is not a valid name"));
                    continue;
                }

                if (bare.AsSpan().IndexOfAny('\n', '\r', '\t') >= 0)
                {
                    refused.Add((name, "its name holds a line break or a tab, which a move-in does not copy"));
                    continue;
                }

                if (!seen.Add(bare))
                {
                    refused.Add((name, "the listing names it twice"));
                    continue;
                }

                if (item.Value.ValueKind != JsonValueKind.Object)
                {
                    refused.Add((name, "its entry in the listing is not an object"));
                    continue;
                }

                var etag = item.Value.TryGetProperty("ETag", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : string.Empty;
                var type = item.Value.TryGetProperty("Content-Type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                etag = new string([.. etag.Take(200).Select(c => char.IsControl(c) ? ' ' : c)]);
                entries.Add(new ListingEntry(bare, isFolder, etag, type));
            }

            return (entries, refused);
        }
    }
}
