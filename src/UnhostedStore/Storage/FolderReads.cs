using System.Buffers;
using System.Text.Json;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>
/// GET and HEAD of a folder (draft-26 §4, §5): the folder's row and its children in one
/// indexed query, a listing serialized once per folder version and kept in
/// <see cref="FolderListingCache"/>.
/// </summary>
public sealed class FolderReads(FolderListingCache listings, HotReads reads)
{
    private const string FolderContext = "http://remotestorage.io/spec/folder-description";

    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false, SkipValidation = true };

    public async Task<StorageOutcome> GetFolderAsync(
        string owner, StoragePath path, RequestConditions conditions, CancellationToken ct, TokenRecheck? recheck = null)
    {
        // One indexed query: the folder's own row and its direct children. When the folder's
        // version is the one If-None-Match names (remotestorage.js polls with one tag) or the one
        // a cached listing is of, only its own row comes back.
        var notIf = conditions.IfNoneMatch?.SingleOpaque ?? string.Empty;
        var cached = listings.Find(owner, path.Value);
        var rows = await reads.ListFolderAsync(owner, path.Value, notIf, cached?.ETag ?? string.Empty, ct, recheck);
        if (recheck is { StillValid: false })
        {
            // The token is no longer valid: nothing read is served (the caller refuses).
            return new StorageOutcome.Unauthorized(TokenSent: true);
        }

        var self = rows.Find(r => r.Path == path.Value);

        // draft-26 §4: a folder with no documents below it does not exist, and is listed as
        // empty (never 404) with a stable version.
        var etag = self is null ? ETag.EmptyFolder : ETag.FromStored(self.ETag);
        if (conditions.IfMatch is { } ifMatch && !ifMatch.MatchesStrong(etag))
        {
            return new StorageOutcome.PreconditionFailed(etag);
        }

        if (conditions.IfNoneMatch is { } ifNoneMatch && ifNoneMatch.MatchesWeak(etag))
        {
            return new StorageOutcome.NotModified(etag, false);
        }

        if (self is not null && cached is not null && string.Equals(cached.ETag, self.ETag, StringComparison.Ordinal))
        {
            return new StorageOutcome.FolderListed(etag, cached.Body);
        }

        var children = rows.Where(r => r.Path != path.Value).ToList();
        children.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        var body = SerializeListing(path, children);
        if (self is not null)
        {
            listings.Store(owner, path.Value, self.ETag, body);
        }

        return new StorageOutcome.FolderListed(etag, body);
    }

    /// <summary>The draft-26 §4 listing of <paramref name="folder"/>; <paramref name="children"/>
    /// are its direct children (full paths) in the order they are to be listed. Also what an
    /// export writes as a folder's description, so both say the same.</summary>
    public static ReadOnlyMemory<byte> SerializeListing(StoragePath folder, IReadOnlyList<ListingRow> children)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + (children.Count * 160));
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("@context", FolderContext);
            json.WriteStartObject("items");
            var prefix = folder.Value.Length;
            foreach (var child in children)
            {
                json.WriteStartObject(child.Path.AsSpan(prefix));

                // draft-26 §4: listing versions are written without the quotes.
                json.WriteString("ETag", child.ETag);
                if (!child.IsFolder)
                {
                    json.WriteString("Content-Type", child.ContentType);
                    json.WriteNumber("Content-Length", child.ContentLength);
                    json.WriteString("Last-Modified", HttpDates.Format(child.LastModifiedUtc));
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
