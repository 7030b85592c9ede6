using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UnhostedStore.Blobs;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;

namespace UnhostedStore.DataFreedom.Export;

/// <summary>
/// One folder of a user's storage and everything below it as a plain zip (the documents only,
/// named relative to the folder), for someone who downloads what was shared with them. Written
/// as it is read, into any output, like the export (<see cref="ExportRun"/>): memory holds one
/// folder's listing and one copy buffer, never a document. Each folder's children are read when
/// the walk gets there, so the zip shows the folder as it is, not as of one moment; a hold on the
/// owner's blobs (<see cref="BlobHolds"/>), taken before the first row is read, keeps every
/// version a row named readable until the zip ends.
/// </summary>
public sealed class FolderArchive(StorageDbContext db, IBlobStore blobs, BlobHolds holds, IOptions<DataFreedomOptions> options)
{
    private const int CopyBuffer = 81920;

    /// <summary>Writes the zip of <paramref name="folder"/> (which ends in <c>/</c>) to
    /// <paramref name="output"/>; returns the number of documents.</summary>
    public async Task<long> WriteAsync(string owner, StoragePath folder, Stream output, CancellationToken ct)
    {
        if (!folder.IsFolder)
        {
            throw new ArgumentException("A folder path ends in '/'.", nameof(folder));
        }

        var lifetime = TimeSpan.FromMinutes(options.Value.ExportHoldMinutes);
        var hold = await holds.TakeAsync(owner, lifetime, ct);
        try
        {
            var run = new Run(db, blobs, holds, hold, lifetime, owner);
            await using var drained = new DrainedOutput(output);
            run.Output = drained;
            var zip = await ZipArchive.CreateAsync(drained, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct);
            await using (zip)
            {
                await run.WriteFolderAsync(zip, folder.Value, string.Empty, ct);
            }

            await drained.FlushAsync(ct);
            return run.Documents;
        }
        finally
        {
            await holds.ReleaseAsync(hold);
        }
    }

    private sealed class Run(StorageDbContext db, IBlobStore blobs, BlobHolds holds, string hold, TimeSpan lifetime, string owner)
    {
        private long _refreshedAt = Stopwatch.GetTimestamp();

        public DrainedOutput Output { get; set; } = null!;

        public long Documents { get; private set; }

        public async Task WriteFolderAsync(ZipArchive zip, string folder, string prefix, CancellationToken ct)
        {
            var subfolders = new List<(string Path, string Prefix)>();
            var children = db.Nodes.AsNoTracking()
                .Where(n => n.Owner == owner && n.ParentPath == folder)
                .OrderBy(n => n.Path)
                .Select(n => new { n.Path, n.IsFolder, n.ContentType, n.ContentLength, n.LastModifiedUtc, n.BlobKey, n.InlineContent })
                .AsAsyncEnumerable();
            await foreach (var child in children.WithCancellation(ct))
            {
                var entryName = prefix + ArchiveNames.Escape(child.Path[folder.Length..].TrimEnd('/'), atRoot: false);
                if (child.IsFolder)
                {
                    subfolders.Add((child.Path, entryName + "/"));
                    continue;
                }

                var entry = zip.CreateEntry(entryName, ArchiveCompression.For(child.ContentType, child.ContentLength));
                entry.LastWriteTime = ZipTime(child.LastModifiedUtc);
                await using (var target = await entry.OpenAsync(ct))
                {
                    if (child.InlineContent is { } inline)
                    {
                        await target.WriteAsync(inline, ct);
                    }
                    else
                    {
                        await using var source = await blobs.OpenReadAsync(child.BlobKey!, null, ct);
                        await CopyAsync(source, target, ct);
                    }
                }

                await Output.DrainAsync(ct);
                Documents++;
                await KeepHoldAsync(ct);
            }

            foreach (var (path, childPrefix) in subfolders)
            {
                await WriteFolderAsync(zip, path, childPrefix, ct);
            }
        }

        private async Task CopyAsync(Stream source, Stream target, CancellationToken ct)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBuffer);
            try
            {
                int read;
                while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBuffer), ct)) > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read), ct);
                    await Output.DrainAsync(ct);
                    await KeepHoldAsync(ct);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>A quarter of the hold's lifetime after the last refresh, moves its expiry on.</summary>
        private async Task KeepHoldAsync(CancellationToken ct)
        {
            if (Stopwatch.GetElapsedTime(_refreshedAt) > lifetime / 4)
            {
                await holds.RefreshAsync(hold, lifetime, ct);
                _refreshedAt = Stopwatch.GetTimestamp();
            }
        }

        /// <summary>Zip timestamps (MS-DOS dates) run from 1980 to 2107.</summary>
        private static DateTimeOffset ZipTime(DateTime utc) =>
            new(utc.Year < 1980 ? new DateTime(1980, 1, 1, 0, 0, 0, DateTimeKind.Utc) : utc.Year > 2107 ? new DateTime(2107, 12, 31, 0, 0, 0, DateTimeKind.Utc) : DateTime.SpecifyKind(utc, DateTimeKind.Utc));
    }
}
