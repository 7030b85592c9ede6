using System.IO.Compression;

namespace UnhostedStore.DataFreedom.Import;

/// <summary>An archive that cannot be imported at all; its message says why, in plain words.</summary>
public sealed class ArchiveRefusedException(string message) : Exception(message);

/// <summary>One file of an archive: its path ('/'-separated, relative to the archive's root).</summary>
public sealed record ArchiveFile(string Path, long Length, Func<Stream> Open);

/// <summary>
/// The files of a zip or a directory, with every entry name checked before anything is read:
/// nothing in an archive can name a place outside it.
/// </summary>
public sealed class ArchiveSource : IDisposable
{
    private const long RatioExemptBytes = 1024 * 1024;

    private readonly IDisposable? _owned;

    private ArchiveSource(IReadOnlyDictionary<string, ArchiveFile> files, IDisposable? owned)
    {
        Files = files;
        _owned = owned;
    }

    public IReadOnlyDictionary<string, ArchiveFile> Files { get; }

    public static ArchiveSource Open(string path, ImportOptions limits) =>
        Directory.Exists(path) ? OpenDirectory(path, limits) : OpenZip(path, limits);

    public static ArchiveSource OpenZip(string file, ImportOptions limits)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(file);
        }
        catch (InvalidDataException)
        {
            throw new ArchiveRefusedException("The file is not a zip archive or a backup directory.");
        }

        try
        {
            if (zip.Entries.Count > limits.MaxEntries)
            {
                throw new ArchiveRefusedException($"The archive has {zip.Entries.Count} entries; at most {limits.MaxEntries} are allowed.");
            }

            var files = new Dictionary<string, ArchiveFile>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                CheckName(name.EndsWith('/') ? name[..^1] : name);
                if (!seen.Add(name.TrimEnd('/')))
                {
                    throw new ArchiveRefusedException($"The archive has the entry \"{name}\" twice.");
                }

                // Unix mode in the high 16 bits of the external attributes (zip APPNOTE §4.4.15).
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
                {
                    throw new ArchiveRefusedException($"The archive entry \"{name}\" is a symbolic link; links are not imported.");
                }

                if (name.EndsWith('/'))
                {
                    continue;
                }

                if (entry.Length > RatioExemptBytes && entry.Length > Math.Max(1, entry.CompressedLength) * limits.MaxEntryRatio)
                {
                    throw new ArchiveRefusedException($"The archive entry \"{name}\" unpacks to {entry.Length} bytes from {entry.CompressedLength}: more than {limits.MaxEntryRatio} times its packed size.");
                }

                total += entry.Length;
                var length = entry.Length;
                files[name] = new ArchiveFile(name, length, () => new BoundedReadStream(entry.Open(), length, name));
            }

            var packed = new FileInfo(file).Length;
            if (total > RatioExemptBytes && total > Math.Max(1, packed) * limits.MaxTotalRatio)
            {
                throw new ArchiveRefusedException($"The archive unpacks to {total} bytes from {packed}: more than {limits.MaxTotalRatio} times its size.");
            }

            return new ArchiveSource(files, zip);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    public static ArchiveSource OpenDirectory(string directory, ImportOptions limits)
    {
        var root = new DirectoryInfo(directory);
        var files = new Dictionary<string, ArchiveFile>(StringComparer.Ordinal);
        var count = 0;
        var pending = new Stack<(DirectoryInfo Dir, string Prefix)>();
        pending.Push((root, string.Empty));
        while (pending.Count > 0)
        {
            var (dir, prefix) = pending.Pop();
            foreach (var info in dir.EnumerateFileSystemInfos())
            {
                var name = prefix + info.Name;
                CheckName(name);
                if (++count > limits.MaxEntries)
                {
                    throw new ArchiveRefusedException($"The directory has more than {limits.MaxEntries} entries.");
                }

                if (info.LinkTarget is not null)
                {
                    throw new ArchiveRefusedException($"\"{name}\" is a symbolic link; links are not imported.");
                }

                if (info is DirectoryInfo sub)
                {
                    pending.Push((sub, name + "/"));
                }
                else if (info is FileInfo file)
                {
                    var full = file.FullName;
                    files[name] = new ArchiveFile(name, file.Length, () => new BoundedReadStream(File.OpenRead(full), file.Length, name));
                }
            }
        }

        return new ArchiveSource(files, null);
    }

    /// <summary>Refuses names that could point outside the archive or mean different things on
    /// different systems: absolute paths, drive letters, <c>..</c>, backslashes, empty segments.</summary>
    private static void CheckName(string name)
    {
        string? why = null;
        if (name.Length == 0 || name[0] == '/')
        {
            why = "is an absolute path";
        }
        else if (name.Contains('\\', StringComparison.Ordinal))
        {
            why = "contains a backslash";
        }
        else if (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0]))
        {
            why = "starts with a drive letter";
        }
        else if (name.Split('/').Any(s => s is "" or "." or ".."))
        {
            why = "contains '..', '.' or an empty segment";
        }
        else if (name.Any(c => c < ' '))
        {
            why = "contains a control character";
        }

        if (why is not null)
        {
            throw new ArchiveRefusedException($"The archive entry \"{name}\" {why}; nothing was imported.");
        }
    }

    public void Dispose() => _owned?.Dispose();
}
