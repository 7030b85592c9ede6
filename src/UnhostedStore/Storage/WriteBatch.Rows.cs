using Microsoft.EntityFrameworkCore;
using UnhostedStore.Persistence;

namespace UnhostedStore.Storage;

/// <summary>The rows a write batch reads and changes: the nodes along its paths and the module counters.</summary>
public sealed partial class WriteBatch
{
    /// <summary>
    /// The rows some users' batches read: every node along their paths (and the other kind of
    /// each name, for the document/folder clash) and their modules' counters; two statements
    /// whatever the number of users. Rows another user's keys brought along stay untouched.
    /// </summary>
    private async Task<Dictionary<string, (WriteRows Rows, Dictionary<string, ModuleUsage> Usage)>> ReadRowsAsync(
        IReadOnlyList<(string Owner, IReadOnlyList<PendingWrite> Writes)> batches)
    {
        var none = CancellationToken.None;
        var keysOf = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var allKeys = new HashSet<string>(StringComparer.Ordinal);
        var modules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (owner, writes) in batches)
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var write in writes)
            {
                keys.Add(write.Path.Value);
                keys.Add(write.Path.AsOtherKind().Value);
                foreach (var a in write.Path.Ancestors())
                {
                    keys.Add(a.Value);
                    if (!a.IsRoot)
                    {
                        keys.Add(a.AsOtherKind().Value);
                    }
                }

                modules.Add(ModuleOf(write.Path));
            }

            keysOf[owner] = keys;
            allKeys.UnionWith(keys);
        }

        var owners = keysOf.Keys.ToList();
        var keyList = allKeys.ToList();
        var moduleList = modules.ToList();
        List<StorageNode> nodes;
        List<ModuleUsage> counters;
        if (owners.Count == 1)
        {
            var owner = owners[0];
            nodes = await db.Nodes.Where(n => n.Owner == owner && keyList.Contains(n.Path)).ToListAsync(none);
            counters = await db.ModuleUsage.Where(m => m.Owner == owner && moduleList.Contains(m.Module)).ToListAsync(none);
        }
        else
        {
            nodes = await db.Nodes.Where(n => owners.Contains(n.Owner) && keyList.Contains(n.Path)).ToListAsync(none);
            counters = await db.ModuleUsage.Where(m => owners.Contains(m.Owner) && moduleList.Contains(m.Module)).ToListAsync(none);
        }

        var read = new Dictionary<string, (WriteRows, Dictionary<string, ModuleUsage>)>(owners.Count, StringComparer.Ordinal);
        foreach (var (owner, keys) in keysOf)
        {
            var rows = new WriteRows(db, owner, nodes.Where(n => n.Owner == owner && keys.Contains(n.Path)).ToList());
            read[owner] = (rows, counters.Where(m => m.Owner == owner).ToDictionary(m => m.Module, StringComparer.Ordinal));
        }

        return read;
    }

    /// <summary>
    /// Applies a write's change to its module's counters (rows read with the batch; a module
    /// left without documents is removed when the batch is saved). The account row lock is
    /// held, so no other write of this user touches them: read-modify-write is safe.
    /// </summary>
    private void AddModuleUsage(Dictionary<string, ModuleUsage> usage, StorageAccount account, StoragePath path, long bytes, int documents)
    {
        var module = ModuleOf(path);
        if (!usage.TryGetValue(module, out var row))
        {
            row = new ModuleUsage { Owner = account.UserName, Module = module };
            db.ModuleUsage.Add(row);
            usage[module] = row;
        }

        row.UsedBytes += bytes;
        row.DocumentCount += documents;
    }

    /// <summary>The module a document counts under: its scope module, or <c>""</c> for documents
    /// directly under <c>/</c> or <c>/public/</c> (shown as "(top level)").</summary>
    public static string ModuleOf(StoragePath path) => path.Module ?? string.Empty;

    /// <summary>
    /// The node rows a write batch read, as the writes in it change them. A row removed by one
    /// write and created again by a later one is the same tracked entity, revived: removals
    /// are only handed to EF when the batch is saved.
    /// </summary>
    private sealed class WriteRows(StorageDbContext db, string owner, List<StorageNode> loaded)
    {
        private readonly Dictionary<string, StorageNode> _rows = loaded.ToDictionary(n => n.Path, StringComparer.Ordinal);
        private readonly HashSet<string> _gone = new(StringComparer.Ordinal);

        public StorageNode? Find(string path) => _rows.TryGetValue(path, out var node) && !_gone.Contains(path) ? node : null;

        /// <summary>A row for a node that does not exist now; the caller sets every column.</summary>
        public StorageNode Create(string path)
        {
            if (_rows.TryGetValue(path, out var node))
            {
                _gone.Remove(path);
                return node;
            }

            node = new StorageNode { Owner = owner, Path = path, ETag = string.Empty };
            db.Nodes.Add(node);
            _rows[path] = node;
            return node;
        }

        public void Remove(StorageNode node) => _gone.Add(node.Path);

        public void RemoveGone()
        {
            foreach (var path in _gone)
            {
                db.Nodes.Remove(_rows[path]);
            }
        }
    }
}
