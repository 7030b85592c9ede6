using System.IO.Compression;
using UnhostedStore.DataFreedom;
using UnhostedStore.DataFreedom.Import;

namespace UnhostedStore.Tests;

/// <summary>The import's caps on an archive's entry count and on how far the whole of it
/// unpacks, checked from the zip's directory before any entry is read.</summary>
public sealed class ArchiveLimitsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unhostedstore-archive-limits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_archive_with_one_entry_more_than_allowed_is_refused_and_one_at_the_limit_opens()
    {
        var limits = new ImportOptions { MaxEntries = 10 };
        using (ArchiveSource.Open(Zip("ten.zip", Enumerable.Range(0, 10).Select(i => ($"notes/{i}.txt", new byte[] { 1 }))), limits))
        {
        }

        var e = Assert.Throws<ArchiveRefusedException>(() => ArchiveSource.Open(Zip("eleven.zip", Enumerable.Range(0, 11).Select(i => ($"notes/{i}.txt", new byte[] { 1 }))), limits));
        Assert.Contains("11 entries; at most 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_archive_whose_entries_each_pass_but_whose_whole_unpacks_beyond_the_total_ratio_is_refused()
    {
        // Zeros deflate about a thousandfold: far past a total ratio of 10, within an entry ratio of 100,000.
        var entries = Enumerable.Range(0, 4).Select(i => ($"notes/{i}.bin", new byte[1024 * 1024])).ToList();
        var path = Zip("zeros.zip", entries);
        using (ArchiveSource.Open(path, new ImportOptions { MaxEntryRatio = 100_000, MaxTotalRatio = 100_000 }))
        {
        }

        var e = Assert.Throws<ArchiveRefusedException>(() => ArchiveSource.Open(path, new ImportOptions { MaxEntryRatio = 100_000, MaxTotalRatio = 10 }));
        Assert.Contains("more than 10 times its size", e.Message, StringComparison.Ordinal);
    }

    private string Zip(string name, IEnumerable<(string Path, byte[] Bytes)> entries)
    {
        var path = Path.Combine(_dir, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entryPath, bytes) in entries)
        {
            using var stream = zip.CreateEntry(entryPath, CompressionLevel.Optimal).Open();
            stream.Write(bytes);
        }

        return path;
    }
}
