namespace UnhostedStore.Pages.Account.History;

/// <summary>How a line of a comparison relates the older text to the newer one.</summary>
public enum DiffKind
{
    /// <summary>In both texts.</summary>
    Same,

    /// <summary>Only in the older text: removed since.</summary>
    Removed,

    /// <summary>Only in the newer text: added since.</summary>
    Added,
}

/// <summary>One line of a comparison, with its 1-based number in the text(s) it is in.</summary>
public sealed record DiffLine(DiffKind Kind, string Text, int? OldNumber, int? NewNumber);

/// <summary>A line to show, or (when <see cref="Line"/> is null) <see cref="Skipped"/> unchanged lines left out.</summary>
public sealed record DiffRow(DiffLine? Line, int Skipped);

/// <summary>A comparison. <see cref="Exact"/> is false when the texts differed in more lines than
/// the comparison follows: every older line is then shown removed and every newer one added.</summary>
public sealed record LineDiffResult(IReadOnlyList<DiffLine> Lines, bool Exact)
{
    public int Added => Lines.Count(l => l.Kind == DiffKind.Added);

    public int Removed => Lines.Count(l => l.Kind == DiffKind.Removed);

    public bool HasChanges => Lines.Any(l => l.Kind != DiffKind.Same);
}

/// <summary>
/// A line diff: the shortest edit script between two lists of lines (Myers, "An O(ND)
/// Difference Algorithm and Its Variations", 1986), after the common first and last lines are
/// set aside. Memory grows with the square of the number of differing lines, so the search stops
/// at <c>maxEdits</c> and the result is then the plain "all removed, all added".
/// </summary>
public static class LineDiff
{
    /// <summary>Edits followed at most: about 16 MB of work space for texts this different.</summary>
    public const int DefaultMaxEdits = 2000;

    /// <summary>Splits on <c>\r\n</c>, <c>\n</c> or <c>\r</c>; a final line break ends the last
    /// line and starts no empty one.</summary>
    public static IReadOnlyList<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '\n' or '\r')
            {
                lines.Add(text[start..i]);
                if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }

        return lines;
    }

    public static LineDiffResult Compare(string older, string newer, int maxEdits = DefaultMaxEdits) =>
        Compare(SplitLines(older), SplitLines(newer), maxEdits);

    public static LineDiffResult Compare(IReadOnlyList<string> older, IReadOnlyList<string> newer, int maxEdits = DefaultMaxEdits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEdits);

        // Lines become numbers once, so the search compares integers.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string line)
        {
            if (!ids.TryGetValue(line, out var id))
            {
                id = ids.Count;
                ids[line] = id;
            }

            return id;
        }

        var a = older.Select(Id).ToArray();
        var b = newer.Select(Id).ToArray();

        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix])
        {
            suffix++;
        }

        var midA = a[prefix..(a.Length - suffix)];
        var midB = b[prefix..(b.Length - suffix)];
        var script = ShortestEdit(midA, midB, maxEdits);
        var exact = script is not null;
        script ??= [.. Enumerable.Repeat(DiffKind.Removed, midA.Length), .. Enumerable.Repeat(DiffKind.Added, midB.Length)];

        var lines = new List<DiffLine>(prefix + script.Count + suffix);
        var (x, y) = (0, 0);
        void Emit(DiffKind kind)
        {
            switch (kind)
            {
                case DiffKind.Same:
                    lines.Add(new DiffLine(kind, older[x], x + 1, y + 1));
                    x++;
                    y++;
                    break;
                case DiffKind.Removed:
                    lines.Add(new DiffLine(kind, older[x], x + 1, null));
                    x++;
                    break;
                default:
                    lines.Add(new DiffLine(kind, newer[y], null, y + 1));
                    y++;
                    break;
            }
        }

        for (var i = 0; i < prefix; i++)
        {
            Emit(DiffKind.Same);
        }

        foreach (var kind in script)
        {
            Emit(kind);
        }

        for (var i = 0; i < suffix; i++)
        {
            Emit(DiffKind.Same);
        }

        return new LineDiffResult(lines, exact);
    }

    /// <summary>
    /// The lines to show: every change with up to <paramref name="context"/> unchanged lines
    /// around it; longer unchanged stretches become one "skipped" row.
    /// </summary>
    public static IReadOnlyList<DiffRow> Collapse(IReadOnlyList<DiffLine> lines, int context)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        var rows = new List<DiffRow>();
        var i = 0;
        while (i < lines.Count)
        {
            if (lines[i].Kind != DiffKind.Same)
            {
                rows.Add(new DiffRow(lines[i], 0));
                i++;
                continue;
            }

            var end = i;
            while (end < lines.Count && lines[end].Kind == DiffKind.Same)
            {
                end++;
            }

            // Context after the change before this run, and before the change after it.
            var keepHead = i == 0 ? 0 : context;
            var keepTail = end == lines.Count ? 0 : context;
            var run = end - i;
            if (run <= keepHead + keepTail + 1)
            {
                for (var j = i; j < end; j++)
                {
                    rows.Add(new DiffRow(lines[j], 0));
                }
            }
            else
            {
                for (var j = i; j < i + keepHead; j++)
                {
                    rows.Add(new DiffRow(lines[j], 0));
                }

                rows.Add(new DiffRow(null, run - keepHead - keepTail));
                for (var j = end - keepTail; j < end; j++)
                {
                    rows.Add(new DiffRow(lines[j], 0));
                }
            }

            i = end;
        }

        return rows;
    }

    /// <summary>Myers' greedy forward search with the frontier of each step kept for the walk
    /// back; null when more than <paramref name="maxEdits"/> edits are needed.</summary>
    private static List<DiffKind>? ShortestEdit(int[] a, int[] b, int maxEdits)
    {
        int n = a.Length, m = b.Length;
        var limit = Math.Min(n + m, maxEdits);

        // v[offset + k]: the furthest x reached on diagonal k (= x - y).
        var offset = limit + 1;
        var v = new int[(2 * limit) + 3];
        var trace = new List<int[]>();
        for (var d = 0; d <= limit; d++)
        {
            // The frontier before step d, for diagonals -d-1 .. d+1 (what the walk back reads).
            var snapshot = new int[(2 * d) + 3];
            Array.Copy(v, offset - d - 1, snapshot, 0, snapshot.Length);
            trace.Add(snapshot);
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])
                    ? v[offset + k + 1]
                    : v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y])
                {
                    x++;
                    y++;
                }

                v[offset + k] = x;
                if (x >= n && y >= m)
                {
                    return Backtrack(trace, n, m);
                }
            }
        }

        return null;
    }

    private static List<DiffKind> Backtrack(List<int[]> trace, int n, int m)
    {
        var script = new List<DiffKind>();
        var (x, y) = (n, m);
        for (var d = trace.Count - 1; d >= 0; d--)
        {
            var v = trace[d];
            int At(int k) => v[k + d + 1];
            var k = x - y;
            var prevK = k == -d || (k != d && At(k - 1) < At(k + 1)) ? k + 1 : k - 1;
            var prevX = At(prevK);
            var prevY = prevX - prevK;
            while (x > prevX && y > prevY)
            {
                script.Add(DiffKind.Same);
                x--;
                y--;
            }

            if (d > 0)
            {
                script.Add(x == prevX ? DiffKind.Added : DiffKind.Removed);
            }

            (x, y) = (prevX, prevY);
        }

        script.Reverse();
        return script;
    }
}
