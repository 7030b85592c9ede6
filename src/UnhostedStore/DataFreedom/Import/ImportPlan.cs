using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using UnhostedStore.Storage;

namespace UnhostedStore.DataFreedom.Import;

/// <summary>One document an archive lists, with what its folder's description says of it.</summary>
public sealed record PlannedDocument(StoragePath Path, ArchiveFile File, string ContentType, DateTime? LastModifiedUtc, string? Sha256);

/// <summary>
/// What an archive holds, read and checked before anything is written: every folder
/// description parsed (draft-26 §4 listings), every listed document matched to its file. As in
/// rs-backup's restore, only listed items count: a file no description lists is ignored.
/// </summary>
public sealed class ImportPlan
{
    private const long MaxJsonBytes = 64L * 1024 * 1024;

    public List<PlannedDocument> Documents { get; } = [];

    /// <summary>Listed items that cannot be imported (missing file, bad Content-Type, …), by path.</summary>
    public List<ImportRefusal> Refused { get; } = [];

    /// <summary>Files no description lists, ignored.</summary>
    public List<string> Unlisted { get; } = [];

    public bool HasManifest { get; private set; }

    public static ImportPlan Build(ArchiveSource source)
    {
        var plan = new ImportPlan();
        var files = source.Files;
        Dictionary<string, string>? sha = null;
        if (files.TryGetValue(ArchiveNames.Manifest, out var manifest))
        {
            plan.HasManifest = true;
            sha = ReadManifest(manifest);
        }

        var descriptions = new Dictionary<string, Dictionary<string, JsonElement>>(StringComparer.Ordinal);
        foreach (var (path, file) in files)
        {
            if (path == ArchiveNames.FolderDescription || path.EndsWith("/" + ArchiveNames.FolderDescription, StringComparison.Ordinal))
            {
                descriptions[path[..^ArchiveNames.FolderDescription.Length].TrimEnd('/')] = ReadDescription(file);
            }
        }

        // rs-backup writes a description in every folder it backs up; a backup of one category
        // (rs-backup -c notes) has none at the root and starts at that module's folder.
        var roots = descriptions.ContainsKey(string.Empty)
            ? [string.Empty]
            : descriptions.Keys.Where(d => !descriptions.ContainsKey(Parent(d))).Order(StringComparer.Ordinal).ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var names = root.Length == 0 ? [] : root.Split('/').Select(s => ArchiveNames.Unescape(s) ?? throw Bad($"the folder name \"{s}\" has a malformed escape")).ToList();
            plan.Walk(root, names, descriptions, files, sha, used);
        }

        plan.Unlisted.AddRange(files.Keys.Where(f => !used.Contains(f) && f != ArchiveNames.Manifest
            && !f.EndsWith(ArchiveNames.FolderDescription, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        plan.Unlisted.AddRange(descriptions.Keys.Where(d => !used.Contains(d + "/")).Select(d => d.Length == 0 ? ArchiveNames.FolderDescription : d + "/" + ArchiveNames.FolderDescription));
        return plan;
    }

    private void Walk(
        string dir,
        List<string> names,
        Dictionary<string, Dictionary<string, JsonElement>> descriptions,
        IReadOnlyDictionary<string, ArchiveFile> files,
        Dictionary<string, string>? sha,
        HashSet<string> used)
    {
        used.Add(dir + "/");
        var atRoot = names.Count == 0;
        foreach (var (key, meta) in descriptions[dir])
        {
            var isFolder = key.EndsWith('/');
            var name = isFolder ? key[..^1] : key;
            if (name is "" or "." or ".." || name.Contains('/', StringComparison.Ordinal))
            {
                throw Bad($"the description of \"{Display(names)}\" lists the item \"{key}\", which is not a valid name");
            }

            var archivePath = (dir.Length == 0 ? string.Empty : dir + "/") + ArchiveNames.Escape(name, atRoot);
            var childNames = new List<string>(names) { name };
            var display = Display(childNames);
            if (isFolder)
            {
                if (descriptions.ContainsKey(archivePath))
                {
                    Walk(archivePath, childNames, descriptions, files, sha, used);
                }
                else
                {
                    Refused.Add(new ImportRefusal(display + "/", "the folder is listed, but the archive has no description for it"));
                }

                continue;
            }

            if (!files.TryGetValue(archivePath, out var file))
            {
                Refused.Add(new ImportRefusal(display, "listed in its folder's description, but the archive has no file for it"));
                continue;
            }

            used.Add(archivePath);
            var encoded = "/" + string.Join('/', childNames.Select(Uri.EscapeDataString));
            if (!StoragePath.TryParse(encoded, out var path).Success)
            {
                Refused.Add(new ImportRefusal(display, "the name cannot be stored (too long or not allowed)"));
                continue;
            }

            var type = meta.TryGetProperty("Content-Type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "application/octet-stream";
            if (!ContentTypes.TryValidate(new StringValues(type), out _, out _))
            {
                Refused.Add(new ImportRefusal(display, $"its Content-Type \"{type}\" is not a valid media type"));
                continue;
            }

            if (meta.TryGetProperty("Content-Length", out var l) && l.TryGetInt64(out var declared) && declared != file.Length)
            {
                Refused.Add(new ImportRefusal(display, $"its file has {file.Length} bytes, but the description says {declared}"));
                continue;
            }

            string? expected = null;
            if (sha is not null && !sha.TryGetValue(display, out expected))
            {
                Refused.Add(new ImportRefusal(display, "the archive's manifest has no checksum for it"));
                continue;
            }

            DateTime? modified = meta.TryGetProperty("Last-Modified", out var m) && m.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParseExact(m.GetString(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
                ? when.UtcDateTime
                : null;
            Documents.Add(new PlannedDocument(path!, file, type, modified, expected));
        }
    }

    private static string Display(List<string> names) => string.Join('/', names);

    private static string Parent(string dir) => dir.Contains('/', StringComparison.Ordinal) ? dir[..dir.LastIndexOf('/')] : string.Empty;

    private static ArchiveRefusedException Bad(string why) => new($"The archive is not valid: {why}; nothing was imported.");

    private static JsonDocument ParseJson(ArchiveFile file)
    {
        if (file.Length > MaxJsonBytes)
        {
            throw Bad($"\"{file.Path}\" is larger than {MaxJsonBytes} bytes");
        }

        try
        {
            using var stream = file.Open();
            return JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Bad($"\"{file.Path}\" is not valid JSON ({e.Message})");
        }
    }

    private static Dictionary<string, JsonElement> ReadDescription(ArchiveFile file)
    {
        var json = ParseJson(file);
        if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Object)
        {
            throw Bad($"\"{file.Path}\" is not a folder description (it needs an \"items\" object)");
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var item in items.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.Object || !result.TryAdd(item.Name, item.Value))
            {
                throw Bad($"\"{file.Path}\" describes the item \"{item.Name}\" twice or not as an object");
            }
        }

        return result;
    }

    private static Dictionary<string, string> ReadManifest(ArchiveFile file)
    {
        var json = ParseJson(file).RootElement;
        if (json.ValueKind != JsonValueKind.Object
            || !json.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != "unhostedstore-export"
            || !json.TryGetProperty("sha256", out var sums) || sums.ValueKind != JsonValueKind.Object)
        {
            throw Bad($"\"{ArchiveNames.Manifest}\" is not an UnhostedStore export manifest");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var sum in sums.EnumerateObject())
        {
            result[sum.Name] = sum.Value.ValueKind == JsonValueKind.String ? sum.Value.GetString()!.ToLowerInvariant() : string.Empty;
        }

        return result;
    }
}

public sealed record ImportRefusal(string Path, string Reason);
