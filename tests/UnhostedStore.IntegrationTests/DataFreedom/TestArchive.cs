using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using UnhostedStore.DataFreedom;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>One document for a test archive; <see cref="Path"/> is its real path from the storage root.</summary>
internal sealed record TestDoc(string Path, byte[] Bytes, string ContentType, DateTime LastModifiedUtc);

/// <summary>Writes archives in our export format (rs-backup's layout plus the manifest), and
/// hostile variants of it, for the import tests.</summary>
internal static class TestArchive
{
    public static byte[] Export(IEnumerable<TestDoc> docs, bool manifest = true, Action<ZipArchive>? extra = null, Func<TestDoc, string>? sha = null)
    {
        var list = docs.ToList();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var folders = new SortedDictionary<string, Dictionary<string, object>>(StringComparer.Ordinal) { [string.Empty] = [] };
            foreach (var doc in list)
            {
                var names = doc.Path.Split('/');
                var archiveDir = string.Empty;
                for (var i = 0; i < names.Length; i++)
                {
                    var escaped = ArchiveNames.Escape(names[i], atRoot: i == 0);
                    var items = folders[archiveDir];
                    if (i < names.Length - 1)
                    {
                        items[names[i] + "/"] = new Dictionary<string, object> { ["ETag"] = "f1" };
                        archiveDir = archiveDir.Length == 0 ? escaped : archiveDir + "/" + escaped;
                        folders.TryAdd(archiveDir, []);
                    }
                    else
                    {
                        items[names[i]] = new Dictionary<string, object>
                        {
                            ["ETag"] = "d" + i,
                            ["Content-Type"] = doc.ContentType,
                            ["Content-Length"] = doc.Bytes.Length,
                            ["Last-Modified"] = doc.LastModifiedUtc.ToString("r", System.Globalization.CultureInfo.InvariantCulture),
                        };
                        Add(zip, archiveDir.Length == 0 ? escaped : archiveDir + "/" + escaped, doc.Bytes);
                    }
                }
            }

            foreach (var (dir, items) in folders)
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["@context"] = "http://remotestorage.io/spec/folder-description", ["items"] = items });
                Add(zip, (dir.Length == 0 ? string.Empty : dir + "/") + ArchiveNames.FolderDescription, json);
            }

            if (manifest)
            {
                var sums = list.ToDictionary(d => d.Path, d => sha?.Invoke(d) ?? Convert.ToHexStringLower(SHA256.HashData(d.Bytes)), StringComparer.Ordinal);
                Add(zip, ArchiveNames.Manifest, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
                {
                    ["format"] = "unhostedstore-export",
                    ["version"] = 1,
                    ["user"] = "someone",
                    ["exportedUtc"] = "2025-01-01T00:00:00Z",
                    ["module"] = null,
                    ["documents"] = list.Count,
                    ["bytes"] = list.Sum(d => (long)d.Bytes.Length),
                    ["sha256"] = sums,
                }));
            }

            extra?.Invoke(zip);
        }

        return buffer.ToArray();
    }

    public static void Add(ZipArchive zip, string name, byte[] bytes, int? unixMode = null, CompressionLevel level = CompressionLevel.Fastest)
    {
        var entry = zip.CreateEntry(name, level);
        if (unixMode is { } mode)
        {
            entry.ExternalAttributes = mode << 16;
        }

        using var stream = entry.Open();
        stream.Write(bytes);
    }

    public static TestDoc Text(string path, string text, string type = "text/plain; charset=utf-8") =>
        new(path, Encoding.UTF8.GetBytes(text), type, new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc));
}
