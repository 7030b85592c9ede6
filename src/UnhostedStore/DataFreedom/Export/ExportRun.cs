using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.DataFreedom.Export;

/// <summary>
/// One export, between its snapshot and the zip's last byte. The zip is written as it is read,
/// straight into the output (which need not be seekable; nothing is copied to a temp file): a
/// folder at a time, each document streamed from its row (inline) or its blob, then the folder's
/// <c>000_folder-description.json</c>, then its sub-folders; at the end
/// <c>unhostedstore-export.json</c>. Memory holds one folder's listing, one copy buffer and
/// the manifest's path and hash per document (about a hundred bytes each), never a document.
/// </summary>
public sealed class ExportRun : IAsyncDisposable
{
    private const int CopyBuffer = 81920;

    private readonly StorageDbContext _db;
    private readonly IBlobStore _blobs;
    private readonly BlobHolds _holds;
    private readonly ReadSnapshot _snapshot;
    private readonly string _hold;
    private readonly TimeSpan _lifetime;
    private readonly DateTime _startedUtc;
    private readonly ArrayBufferWriter<byte> _manifest = new();
    private readonly Utf8JsonWriter _hashes;
    private long _refreshedAt = Stopwatch.GetTimestamp();
    private long _documents;
    private long _bytes;
    private IProgress<ExportProgress>? _progress;
    private DrainedOutput _output = null!;

    internal ExportRun(
        StorageDbContext db, IBlobStore blobs, BlobHolds holds, TimeProvider clock, ReadSnapshot snapshot, string hold, TimeSpan lifetime,
        string owner, string? module, long documentsTotal, long bytesTotal)
    {
        _db = db;
        _blobs = blobs;
        _holds = holds;
        _snapshot = snapshot;
        _hold = hold;
        _lifetime = lifetime;
        _startedUtc = clock.GetUtcNow().UtcDateTime;
        Owner = owner;
        Module = module;
        DocumentsTotal = documentsTotal;
        BytesTotal = bytesTotal;
        _hashes = new Utf8JsonWriter(_manifest, new JsonWriterOptions { Indented = true });
    }

    public string Owner { get; }

    public string? Module { get; }

    public long DocumentsTotal { get; }

    public long BytesTotal { get; }

    /// <summary>The file name a download offers: <c>&lt;user&gt;-&lt;yyyyMMdd&gt;.zip</c>.</summary>
    public string FileName => Owner + "-" + _startedUtc.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + ".zip";

    public async Task WriteAsync(Stream output, IProgress<ExportProgress>? progress, CancellationToken ct)
    {
        _progress = progress;
        _hashes.WriteStartObject();
        _hashes.WriteString("format", "unhostedstore-export");
        _hashes.WriteNumber("version", 1);
        _hashes.WriteString("user", Owner);
        _hashes.WriteString("exportedUtc", _startedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        if (Module is null)
        {
            _hashes.WriteNull("module");
        }
        else
        {
            _hashes.WriteString("module", Module);
        }

        _hashes.WriteNumber("documents", DocumentsTotal);
        _hashes.WriteNumber("bytes", BytesTotal);
        _hashes.WriteStartObject("sha256");

        await using var drained = new DrainedOutput(output);
        _output = drained;
        var zip = await ZipArchive.CreateAsync(drained, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct);
        await using (zip)
        {
            await WriteFolderAsync(zip, "/", string.Empty, ct);

            _hashes.WriteEndObject();
            _hashes.WriteEndObject();
            await _hashes.FlushAsync(ct);
            await WriteEntryAsync(zip, ArchiveNames.Manifest, _manifest.WrittenMemory, ct);
        }

        await drained.FlushAsync(ct);

        progress?.Report(new ExportProgress(_documents, DocumentsTotal, _bytes, BytesTotal));
    }

    private async Task WriteFolderAsync(ZipArchive zip, string folder, string prefix, CancellationToken ct)
    {
        var listing = new List<ListingRow>();
        var subfolders = new List<(string Path, string Prefix)>();
        var children = _db.Nodes.AsNoTracking()
            .Where(n => n.Owner == Owner && n.ParentPath == folder)
            .Select(n => new { n.Path, n.IsFolder, n.ETag, n.ContentType, n.ContentLength, n.LastModifiedUtc, n.BlobKey, n.InlineContent })
            .AsAsyncEnumerable();
        await foreach (var child in children.WithCancellation(ct))
        {
            if (!ExportModules.Takes(Module, folder, child.Path))
            {
                continue;
            }

            listing.Add(new ListingRow(child.Path, child.IsFolder, child.ETag, child.ContentType, child.ContentLength, child.LastModifiedUtc));
            var name = child.Path[folder.Length..].TrimEnd('/');
            var entryName = prefix + ArchiveNames.Escape(name, atRoot: folder == "/");
            if (child.IsFolder)
            {
                subfolders.Add((child.Path, entryName + "/"));
                continue;
            }

            var entry = zip.CreateEntry(entryName, ArchiveCompression.For(child.ContentType, child.ContentLength));
            entry.LastWriteTime = ZipTime(child.LastModifiedUtc);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var target = await entry.OpenAsync(ct))
            {
                if (child.InlineContent is { } inline)
                {
                    hash.AppendData(inline);
                    await target.WriteAsync(inline, ct);
                    _bytes += inline.Length;
                }
                else
                {
                    await using var source = await _blobs.OpenReadAsync(child.BlobKey!, null, ct);
                    await CopyAsync(source, target, hash, ct);
                }
            }

            await _output.DrainAsync(ct);
            // Keyed by the real path from the root, as the descriptions name items: escaping is
            // only how a name is stored in the zip.
            _hashes.WriteString(child.Path[1..], Convert.ToHexStringLower(hash.GetHashAndReset()));
            _documents++;
            await KeepHoldAsync(ct);
        }

        listing.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        subfolders.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        await WriteEntryAsync(zip, prefix + ArchiveNames.FolderDescription, FolderReads.SerializeListing(StoragePath.FromStored(folder), listing), ct);
        foreach (var (path, childPrefix) in subfolders)
        {
            await WriteFolderAsync(zip, path, childPrefix, ct);
        }
    }

    private async Task CopyAsync(Stream source, Stream target, IncrementalHash hash, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBuffer), ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
                await _output.DrainAsync(ct);
                _bytes += read;
                await KeepHoldAsync(ct);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reports progress and, a quarter of the hold's lifetime after the last refresh,
    /// moves the hold's expiry on: a slow reader of a large export keeps its blobs.</summary>
    private async Task KeepHoldAsync(CancellationToken ct)
    {
        _progress?.Report(new ExportProgress(_documents, DocumentsTotal, _bytes, BytesTotal));
        if (Stopwatch.GetElapsedTime(_refreshedAt) > _lifetime / 4)
        {
            await _holds.RefreshAsync(_hold, _lifetime, ct);
            _refreshedAt = Stopwatch.GetTimestamp();
        }
    }

    private async Task WriteEntryAsync(ZipArchive zip, string name, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        // The archive's own JSON is small text: deflated well.
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = ZipTime(_startedUtc);
        await using (var target = await entry.OpenAsync(ct))
        {
            await target.WriteAsync(content, ct);
        }

        await _output.DrainAsync(ct);
    }

    /// <summary>Zip timestamps (MS-DOS dates) run from 1980 to 2107.</summary>
    private static DateTimeOffset ZipTime(DateTime utc) =>
        new(utc.Year < 1980 ? new DateTime(1980, 1, 1, 0, 0, 0, DateTimeKind.Utc) : utc.Year > 2107 ? new DateTime(2107, 12, 31, 0, 0, 0, DateTimeKind.Utc) : DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    public async ValueTask DisposeAsync()
    {
        await _hashes.DisposeAsync();
        await _snapshot.DisposeAsync();
        await _holds.ReleaseAsync(_hold);
    }
}
